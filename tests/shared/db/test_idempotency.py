"""A command key is applied once; the same key with another request is refused, never applied.

Keys are scoped: a bus command's by its subject, an HTTP `Idempotency-Key` by its route and
family. The same key in two scopes is two requests, each answered its own (issue 15, hole 9);
rows stored before keys were scoped are still read, in their own scope only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import ClassVar
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.cases import case_service
from shared.contracts.envelope import CommandRequest, Contract
from shared.contracts.plans import CaseOpened, OpenCase
from shared.db.idempotency import remember, replay_or_none, request_hash, run_once
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


class Hold(CommandRequest):
    """Two commands whose callers build keys the same way (`{family}:{period}:{concept}`)."""

    subject: ClassVar[str] = "pruebas.cmd.v1.hold"
    family_id: UUID


class Release(Hold):
    subject: ClassVar[str] = "pruebas.cmd.v1.release"


class Done(Contract):
    by: str


def answering(by: str) -> Callable[[AsyncSession], Awaitable[Done]]:
    async def apply(session: AsyncSession) -> Done:
        return Done(by=by)

    return apply


async def send(plans: ServiceUnderTest, command: CommandRequest, by: str) -> str:
    done = await run_once(plans.runtime.sessions, command, Done, answering(by))
    return done.by


async def store_row(
    plans: ServiceUnderTest, key: str, subject: str, digest: str, response: dict[str, object]
) -> None:
    """A command_log row as the code wrote it before keys were scoped."""
    async with plans.runtime.sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO command_log (idempotency_key, subject, request_hash, response) "
                "VALUES (:key, :subject, :digest, CAST(:response AS jsonb))"
            ),
            {"key": key, "subject": subject, "digest": digest, "response": json.dumps(response)},
        )


async def test_the_same_key_on_two_commands_is_two_requests(plans: ServiceUnderTest) -> None:
    family = uuid4()
    key = f"{family}:2030-01:bono_proteccion"
    hold, release = (
        Hold(idempotency_key=key, family_id=family),
        Release(idempotency_key=key, family_id=family),
    )
    assert await send(plans, hold, "retener") == "retener"
    assert await send(plans, release, "liberar") == "liberar"
    assert await send(plans, hold, "otra vez") == "retener"
    assert await send(plans, release, "otra vez") == "liberar"
    with pytest.raises(IdempotencyMismatch, match="otra solicitud"):
        await send(plans, hold.model_copy(update={"family_id": uuid4()}), "otra familia")


async def test_a_key_as_long_as_the_contract_allows_is_scoped_too(
    plans: ServiceUnderTest,
) -> None:
    key = f"{uuid4()}:" + "x" * 163
    command = Hold(idempotency_key=key, family_id=uuid4())
    assert len(key) == 200
    assert await send(plans, command, "primera") == "primera"
    assert await send(plans, command, "segunda") == "primera"
    assert await send(plans, Release(idempotency_key=key, family_id=uuid4()), "otra") == "otra"


async def test_a_command_row_stored_before_scoping_answers_its_own_command_only(
    plans: ServiceUnderTest,
) -> None:
    family = uuid4()
    key = f"{family}:retencion:1"
    hold = Hold(idempotency_key=key, family_id=family)
    await store_row(plans, key, Hold.subject, request_hash(hold), {"by": "antes del cambio"})
    assert await send(plans, hold, "después") == "antes del cambio"
    release = Release(idempotency_key=key, family_id=family)
    assert await send(plans, release, "liberar") == "liberar"
    assert await send(plans, release, "otra vez") == "liberar"


async def test_an_http_row_stored_before_scoping_answers_its_own_family_only(
    plans: ServiceUnderTest,
) -> None:
    key, digest = str(uuid4()), "d" * 64
    mine, theirs = f"contacto:{uuid4()}", f"contacto:{uuid4()}"
    await store_row(plans, f"http:{key}", mine, digest, {"by": "antes del cambio"})
    async with plans.runtime.sessions() as session, session.begin():
        assert await replay_or_none(session, key, mine, digest) == {"by": "antes del cambio"}
        with pytest.raises(IdempotencyMismatch, match="otra solicitud"):
            await replay_or_none(session, key, mine, "e" * 64)
        assert await replay_or_none(session, key, theirs, digest) is None
        await remember(session, key, theirs, digest, Done(by="otra familia"))
    async with plans.runtime.sessions() as session, session.begin():
        assert await replay_or_none(session, key, theirs, digest) == {"by": "otra familia"}
        assert await replay_or_none(session, key, mine, digest) == {"by": "antes del cambio"}
