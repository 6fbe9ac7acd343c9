"""Plans on the bus: the commands and queries it answers, the events it listens to."""

from __future__ import annotations

import asyncio
from datetime import date

from services.plans.models import Case
from services.plans.service import plans_service
from shared.bus.consumer import consume
from shared.contracts import subjects
from shared.contracts.envelope import Envelope
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
            lambda session: plans_service.open_case(session, command),
        )

    async def sessions_in_month(query: SessionsInMonth) -> SessionsCount:
        async with runtime.sessions() as session:
            return await plans_service.sessions_in_month(
                session, query, health_emergency=runtime.settings.health_emergency
            )

    await runtime.bus.serve(subjects.CASE_OPEN, OpenCase, open_case, queue="plans")
    await runtime.bus.serve(
        subjects.SESSIONS_IN_MONTH, SessionsInMonth, sessions_in_month, queue="plans"
    )

    async def intake_events(stop: asyncio.Event) -> None:
        await consume(
            runtime.bus,
            owner="intake",
            durable=CONSUMER,
            handler=lambda envelope: apply_event(runtime, envelope),
            stop=stop,
        )

    async def lifecycle_events(stop: asyncio.Event) -> None:
        await consume(
            runtime.bus,
            owner="lifecycle",
            durable=CONSUMER,
            handler=lambda envelope: apply_event(runtime, envelope),
            stop=stop,
        )

    runtime.run_in_background("intake-events", intake_events)
    runtime.run_in_background("lifecycle-events", lifecycle_events)


WATCHED = {
    subjects.FAMILY_COMMITTED,
    subjects.FAMILY_ASSIGNED,
    subjects.FAMILY_MOVED,
    subjects.FAMILY_EXITED,
}


async def apply_event(runtime: ServiceRuntime, envelope: Envelope) -> None:
    """Keep the case's copy of other owners' facts: commitment, professional, comuna, exit."""
    if envelope.subject not in WATCHED or envelope.family_id is None:
        return
    async with runtime.sessions() as session, session.begin():
        if not await first_delivery(session, CONSUMER, envelope):
            return
        case = await session.get(Case, envelope.family_id, with_for_update=True)
        if case is None:
            # Events of other owners may overtake the workflow's OpenCase: start the file.
            case = Case(family_id=envelope.family_id)
            session.add(case)
        data = envelope.data
        if envelope.subject == subjects.FAMILY_COMMITTED:
            case.committed_on = date.fromisoformat(data["signed_on"])
        elif envelope.subject == subjects.FAMILY_ASSIGNED:
            case.apoyo_familiar_id = data["staff_id"]
        elif envelope.subject == subjects.FAMILY_MOVED:
            case.comuna = data["to_comuna"]
            case.apoyo_familiar_id = None
        elif envelope.subject == subjects.FAMILY_EXITED:
            case.exited_on = date.fromisoformat(data["exited_on"])
            case.exit_cause = data["exit_cause"]
