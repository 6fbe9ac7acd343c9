"""A command key is applied once; the same key with another request is refused, never applied."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import text

from services.plans.cases import case_service
from shared.contracts.plans import CaseOpened, OpenCase
from shared.db.idempotency import run_once
from shared.errors import IdempotencyMismatch
from tests.conftest import ServiceUnderTest


def open_case(family_id: object = None, comuna: str = "Conchalí") -> OpenCase:
    family = family_id or uuid4()
    return OpenCase(
        idempotency_key=f"{family}:case:open",
        family_id=family,
        comuna=comuna,
        referred_on=date(2024, 3, 1),
    )


async def cases_of(plans: ServiceUnderTest, family_id: object) -> int:
    async with plans.runtime.sessions() as session:
        return int(
            await session.scalar(
                text("SELECT count(*) FROM cases WHERE family_id = :id"), {"id": family_id}
            )
            or 0
        )


async def apply(
    plans: ServiceUnderTest, command: OpenCase, now: datetime | None = None
) -> CaseOpened:
    opened = now or plans.runtime.clock()
    return await run_once(
        plans.runtime.sessions,
        command,
        CaseOpened,
        lambda session: case_service.open_case(session, command, now=opened),
    )


async def test_a_repeated_command_returns_the_first_answer(plans: ServiceUnderTest) -> None:
    command = open_case()
    first = await apply(plans, command)
    second = await apply(plans, command)
    assert first == second
    assert await cases_of(plans, command.family_id) == 1


async def test_the_same_key_with_another_request_is_refused(plans: ServiceUnderTest) -> None:
    command = open_case()
    await apply(plans, command)
    tampered = command.model_copy(update={"comuna": "Villarrica"})
    with pytest.raises(IdempotencyMismatch, match="otra solicitud"):
        await apply(plans, tampered)


async def test_concurrent_first_requests_apply_once(plans: ServiceUnderTest) -> None:
    command = open_case()
    # Each request would open the case at another instant: one answer means one applied.
    start = plans.runtime.clock()
    answers = await asyncio.gather(
        *(apply(plans, command, start + timedelta(seconds=n)) for n in range(8))
    )
    assert len({answer.opened_at for answer in answers}) == 1
    assert await cases_of(plans, command.family_id) == 1
