"""Commands over core NATS: typed answers, typed refusals, clear errors when nobody answers."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from shared.bus.client import Bus
from shared.contracts import subjects
from shared.contracts.plans import CaseOpened, OpenCase
from shared.errors import DependencyUnavailable, IdempotencyMismatch
from tests.conftest import ServiceUnderTest


def command(comuna: str = "Conchalí") -> OpenCase:
    family_id = uuid4()
    return OpenCase(
        idempotency_key=f"{family_id}:case:open",
        family_id=family_id,
        comuna=comuna,
        referred_on=date(2024, 3, 1),
    )


async def test_plans_answers_the_open_case_command(plans: ServiceUnderTest, it_bus: Bus) -> None:
    request = command()
    opened = await it_bus.request(subjects.CASE_OPEN, request, CaseOpened)
    again = await it_bus.request(subjects.CASE_OPEN, request, CaseOpened)
    assert opened.family_id == request.family_id
    assert again == opened
    case = await plans.client.get(f"/v1/cases/{request.family_id}")
    assert case.status_code == 200


async def test_a_refusal_travels_back_as_the_same_typed_error(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    request = command()
    await it_bus.request(subjects.CASE_OPEN, request, CaseOpened)
    with pytest.raises(IdempotencyMismatch):
        await it_bus.request(
            subjects.CASE_OPEN, request.model_copy(update={"comuna": "Otra"}), CaseOpened
        )


async def test_a_command_nobody_serves_fails_fast_with_a_clear_reason(it_bus: Bus) -> None:
    with pytest.raises(DependencyUnavailable, match="Nadie atiende"):
        await it_bus.request("plans.cmd.v1.nobody.home", command(), CaseOpened, timeout=1)


async def test_a_malformed_request_is_answered_with_a_validation_error(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    reply = await it_bus.nc.request(it_bus.subject(subjects.CASE_OPEN), b'{"nope": 1}', timeout=2)
    assert b'"ok":false' in reply.data
    assert b"validacion" in reply.data
