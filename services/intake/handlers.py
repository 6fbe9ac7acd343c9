"""Intake on the bus: the command the family workflow sends, the query payments sends."""

from __future__ import annotations

from services.intake.families import family_service
from services.intake.models import Family
from services.intake.process import process_service
from shared.contracts import subjects
from shared.contracts.intake import (
    CloseFamily,
    FamilyClosed,
    FamilyRepresentative,
    GetRepresentative,
    RepresentativeDetails,
)
from shared.db.idempotency import run_once
from shared.runtime import ServiceRuntime


async def register_handlers(runtime: ServiceRuntime) -> None:
    async def get_representative(query: GetRepresentative) -> FamilyRepresentative:
        async with runtime.sessions() as session:
            family = await family_service.get(session, query.family_id)
            return FamilyRepresentative(family_id=family.id, representative=_details(family))

    async def close(command: CloseFamily) -> FamilyClosed:
        return await run_once(
            runtime.sessions,
            command,
            FamilyClosed,
            lambda session: process_service.close(session, command),
        )

    await runtime.bus.serve(
        subjects.INTAKE_FAMILY_REPRESENTATIVE, GetRepresentative, get_representative, queue="intake"
    )
    await runtime.bus.serve(subjects.INTAKE_FAMILY_CLOSE, CloseFamily, close, queue="intake")


def _details(family: Family) -> RepresentativeDetails | None:
    """Who payments pays: the representative's id, RUN and name (as the family page shows
    them). The answer is the request's reply only; nothing of it is logged."""
    member = family.representative
    if member is None:
        return None
    return RepresentativeDetails(member_id=member.id, run=member.run, name=member.name)
