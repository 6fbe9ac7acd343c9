"""Intake on the bus: the query and the command the family workflow sends."""

from __future__ import annotations

from services.intake import process
from shared.contracts import subjects
from shared.contracts.intake import CloseFamily, FamilyClosed, FamilyFacts, GetFamily
from shared.db.idempotency import run_once
from shared.runtime import ServiceRuntime


async def register_handlers(runtime: ServiceRuntime) -> None:
    async def get_family(query: GetFamily) -> FamilyFacts:
        async with runtime.sessions() as session:
            family = await process.load_family(session, query.family_id, lock=False)
            return process.facts(family)

    async def close(command: CloseFamily) -> FamilyClosed:
        return await run_once(
            runtime.sessions,
            command,
            FamilyClosed,
            lambda session: process.close_family(session, command),
        )

    await runtime.bus.serve(subjects.INTAKE_FAMILY_GET, GetFamily, get_family, queue="intake")
    await runtime.bus.serve(subjects.INTAKE_FAMILY_CLOSE, CloseFamily, close, queue="intake")
