"""Intake's family endpoints: thin, they validate, call the service and shape the answer."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from services.intake.api.responses import NO_FAMILY
from services.intake.families import family_service
from services.intake.models import Family, FamilyVersion
from services.intake.representative import REASONS
from services.intake.schemas import (
    AssignmentIn,
    FamilyIn,
    FamilyOut,
    FamilyVersionOut,
    MemberOut,
    RepresentativeIn,
    RepresentativeOut,
)
from services.intake.versions import member_count
from shared.http.deps import Actor, Runtime, Session
from shared.rut import format_rut

router = APIRouter(prefix="/v1/families", tags=["familias"])


def representative_out(family: Family) -> RepresentativeOut | None:
    member = family.representative
    if member is None or family.representative_reason is None:
        return None
    return RepresentativeOut(
        run=member.run,
        run_formatted=format_rut(member.run),
        name=member.name,
        reason=family.representative_reason,
        reason_label=REASONS.get(family.representative_reason, family.representative_reason),
        justification=family.representative_justification,
        since=family.representative_since,
    )


def family_out(family: Family) -> FamilyOut:
    return FamilyOut(
        id=family.id,
        family_code=family.family_code,
        comuna=family.comuna,
        cohort_year=family.cohort_year,
        status=family.status,
        version=family.version,
        referred_on=family.referred_on,
        members=[MemberOut.model_validate(m) for m in family.members],
        representative=representative_out(family),
        apoyo_familiar_id=family.apoyo_familiar_id,
    )


def version_out(version: FamilyVersion) -> FamilyVersionOut:
    return FamilyVersionOut(
        version=version.version,
        change=version.change,
        import_id=version.import_id,
        recorded_at=version.created_at,
        recorded_by=version.created_by,
        member_count=member_count(version.snapshot),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar una familia derivada",
    responses={409: {"description": "La familia o una persona ya está registrada"}},
)
async def register_family(
    body: FamilyIn, db: Session, rt: Runtime, actor: Actor = "sistema"
) -> FamilyOut:
    family = await family_service.register(
        db, body, actor=actor, today=rt.today(), caseload_limit=rt.settings.caseload_max_active
    )
    return family_out(family)


# Declared before /{family_id} so "search" is not read as an id.
@router.get(
    "/search",
    summary="Buscar familias por RUT (cualquier formato), nombre o código de nómina",
)
async def find_families(
    db: Session,
    q: Annotated[str, Query(min_length=2, max_length=120)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[FamilyOut]:
    """RUT exact after normalising; otherwise name substring, case and accent blind."""
    return [family_out(f) for f in await family_service.search(db, q, limit=limit)]


@router.get("/{family_id}", summary="Ver una familia", responses=NO_FAMILY)
async def get_family(family_id: UUID, db: Session) -> FamilyOut:
    return family_out(await family_service.get(db, family_id))


@router.get("", summary="Buscar familias por RUN de un integrante")
async def search_families(
    db: Session, run: Annotated[str, Query(min_length=3, max_length=14)]
) -> list[FamilyOut]:
    return [family_out(f) for f in await family_service.find_by_run(db, run)]


@router.put(
    "/{family_id}/representative",
    summary="Designar otro representante (titular), con justificación",
    responses=NO_FAMILY | {409: {"description": "Ya es la representante, o la familia egresó"}},
)
async def set_representative(
    family_id: UUID, body: RepresentativeIn, db: Session, rt: Runtime, actor: Actor = "sistema"
) -> FamilyOut:
    family = await family_service.choose_representative(
        db, family_id, body, actor=actor, today=rt.today()
    )
    return family_out(family)


@router.post(
    "/{family_id}/assignment",
    summary="Reasignar la familia a otro Apoyo Familiar, con motivo",
    responses=NO_FAMILY
    | {409: {"description": "Ya está asignada a esa persona, o la familia egresó"}},
)
async def reassign(
    family_id: UUID, body: AssignmentIn, db: Session, actor: Actor = "sistema"
) -> FamilyOut:
    return family_out(await family_service.reassign(db, family_id, body, actor=actor))


@router.get(
    "/{family_id}/versions",
    summary="Versiones de la familia, por nómina",
    responses=NO_FAMILY,
)
async def versions(family_id: UUID, db: Session) -> list[FamilyVersionOut]:
    return [version_out(v) for v in await family_service.versions(db, family_id)]
