"""Intake on the bus: the query and the command the family workflow sends."""

from __future__ import annotations

from services.intake.process import process_service
from shared.contracts import subjects
from shared.contracts.intake import CloseFamily, FamilyClosed, FamilyFacts, GetFamily
from shared.db.idempotency import run_once
from shared.runtime import ServiceRuntime


async def register_handlers(runtime: ServiceRuntime) -> None:
    async def get_family(query: GetFamily) -> FamilyFacts:
        async with runtime.sessions() as session:
            return process_service.facts(await process_service.get(session, query.family_id))

    async def close(command: CloseFamily) -> FamilyClosed:
        return await run_once(
            runtime.sessions,
            command,
            FamilyClosed,
            lambda session: process_service.close(session, command),
        )

    await runtime.bus.serve(subjects.INTAKE_FAMILY_GET, GetFamily, get_family, queue="intake")
    await runtime.bus.serve(subjects.INTAKE_FAMILY_CLOSE, CloseFamily, close, queue="intake")
