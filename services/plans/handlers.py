"""Plans on the bus: the commands and queries it answers, the events it listens to."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from services.plans.cases import OthersFact, case_service
from services.plans.sessions import sessions_service
from shared.bus.consumer import consume
from shared.contracts import subjects
from shared.contracts.envelope import Envelope
from shared.contracts.intake import FamilyAssigned, FamilyCommitted, FamilyMoved
from shared.contracts.lifecycle import FamilyExited
from shared.contracts.plans import CaseOpened, OpenCase, SessionsCount, SessionsInMonth
from shared.db.idempotency import run_once
from shared.db.inbox import first_delivery
from shared.runtime import ServiceRuntime

CONSUMER = "plans"


async def register_handlers(runtime: ServiceRuntime) -> None:
    async def open_case(command: OpenCase) -> CaseOpened:
        return await run_once(
            runtime.sessions,
            command,
            CaseOpened,
            lambda session: case_service.open_case(session, command, now=runtime.clock()),
        )

    async def sessions_in_month(query: SessionsInMonth) -> SessionsCount:
        async with runtime.sessions() as session:
            return await sessions_service.in_month(
                session, query, health_emergency=runtime.settings.health_emergency
            )

    await runtime.bus.serve(subjects.CASE_OPEN, OpenCase, open_case, queue="plans")
    await runtime.bus.serve(
        subjects.SESSIONS_IN_MONTH, SessionsInMonth, sessions_in_month, queue="plans"
    )

    for owner in ("intake", "lifecycle"):
        runtime.run_in_background(f"{owner}-events", following(runtime, owner))


def following(
    runtime: ServiceRuntime, owner: str
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """The durable consumer of `owner`'s events, run until the service stops."""

    async def consume_events(stop: asyncio.Event) -> None:
        await consume(
            runtime.bus,
            owner=owner,
            durable=CONSUMER,
            handler=lambda envelope: apply_event(runtime, envelope),
            stop=stop,
        )

    return consume_events


WATCHED: dict[str, type[OthersFact]] = {
    subjects.FAMILY_COMMITTED: FamilyCommitted,
    subjects.FAMILY_ASSIGNED: FamilyAssigned,
    subjects.FAMILY_MOVED: FamilyMoved,
    subjects.FAMILY_EXITED: FamilyExited,
}


async def apply_event(runtime: ServiceRuntime, envelope: Envelope) -> None:
    """Keep the case's copy of other owners' facts: commitment, professional, comuna, exit."""
    fact = WATCHED.get(envelope.subject)
    if fact is None or envelope.family_id is None:
        return
    async with runtime.sessions() as session, session.begin():
        if not await first_delivery(session, CONSUMER, envelope):
            return
        await case_service.learn(session, envelope.family_id, envelope.payload(fact))
