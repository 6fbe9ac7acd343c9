"""Intake's family endpoints: thin, they validate, call the service and shape the answer."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import func, select

from services.intake.api.responses import NO_FAMILY
from services.intake.models import Family, FamilyVersion, Member
from services.intake.relations import relation_label
from services.intake.representative import REASONS
from services.intake.schemas import (
    AssignmentIn,
    FamilyIn,
    FamilyOut,
    FamilyVersionOut,
    RepresentativeIn,
    RepresentativeOut,
    member_out,
)
from services.intake.service import intake_service
from shared.http.deps import Actor, Runtime, Session
from shared.rut import format_rut, is_valid_rut

router = APIRouter(prefix="/v1", tags=["familias"])


def representative_out(family: Family) -> RepresentativeOut | None:
    member = next((m for m in family.members if m.run == family.representative_run), None)
    if member is None or family.representative_reason is None:
        return None
    return RepresentativeOut(
        run=member.run,
        run_formatted=format_rut(member.run),
        name=f"{member.given_names} {member.paternal_surname}",
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
        members=[
            member_out(
                m.run,
                given_names=m.given_names,
                paternal_surname=m.paternal_surname,
                maternal_surname=m.maternal_surname,
                sex=m.sex,
                birth_date=m.birth_date,
                relation=m.relation,
                relation_label=relation_label(m.relation) if m.relation else None,
                household_head=m.is_household_head,
            )
            for m in family.members
        ],
        representative=representative_out(family),
        apoyo_familiar_id=family.apoyo_familiar_id,
    )


def _today(rt: Runtime) -> date:
    return rt.today()


@router.post(
    "/families",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar una familia derivada",
    responses={409: {"description": "La familia o una persona ya está registrada"}},
)
async def register_family(
    body: FamilyIn, db: Session, rt: Runtime, actor: Actor = "sistema"
) -> FamilyOut:
    family = await intake_service.register_family(
        db,
        body,
        actor=actor,
        today=_today(rt),
        caseload_limit=rt.settings.caseload_max_active,
    )
    return family_out(family)


# Accents the name search ignores; upper-case too because lower() under the C collation
# leaves non-ASCII letters as they are.
_ACCENTED = "áéíóúüñàèìòùÁÉÍÓÚÜÑÀÈÌÒÙ"
_PLAIN = "aeiouunaeiouaeiouunaeiou"


def _folded(text: str) -> str:
    """Lower case without accents, as the SQL side folds the stored names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Declared before /families/{family_id} so "search" is not read as an id.
@router.get(
    "/families/search",
    summary="Buscar familias por RUT (cualquier formato), nombre o código de nómina",
)
async def find_families(
    db: Session,
    q: Annotated[str, Query(min_length=2, max_length=120)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[FamilyOut]:
    """RUT exact after normalising; otherwise name substring, case and accent blind.

    The query holds personal data: nothing here logs it.
    """
    q = " ".join(q.split())
    if is_valid_rut(q):
        return [family_out(f) for f in await intake_service.find_by_run(db, q)][:limit]
    literal = _folded(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    full_name = func.concat_ws(
        " ", Member.given_names, Member.paternal_surname, Member.maternal_surname
    )
    folded = func.translate(func.lower(full_name), _ACCENTED, _PLAIN)
    ids = (
        select(Member.family_id)
        .where(folded.like(f"%{literal}%", escape="\\"))
        .union(select(Family.id).where(func.lower(Family.family_code) == q.lower()))
    )
    families = await db.scalars(
        select(Family)
        .where(Family.id.in_(ids))
        .order_by(Family.cohort_year.desc(), Family.family_code)
        .limit(limit)
    )
    return [family_out(f) for f in families]


@router.get("/families/{family_id}", summary="Ver una familia", responses=NO_FAMILY)
async def get_family(family_id: UUID, db: Session) -> FamilyOut:
    return family_out(await intake_service.get_family(db, family_id))


@router.get("/families", summary="Buscar familias por RUN de un integrante")
async def search_families(
    db: Session, run: Annotated[str, Query(min_length=3, max_length=14)]
) -> list[FamilyOut]:
    return [family_out(f) for f in await intake_service.find_by_run(db, run)]


@router.put(
    "/families/{family_id}/representative",
    summary="Designar otro representante (titular), con justificación",
    responses=NO_FAMILY | {409: {"description": "Ya es la representante, o la familia egresó"}},
)
async def set_representative(
    family_id: UUID, body: RepresentativeIn, db: Session, rt: Runtime, actor: Actor = "sistema"
) -> FamilyOut:
    family = await intake_service.choose_representative(
        db, family_id, body.run, body.justification, actor=actor, today=_today(rt)
    )
    return family_out(family)


@router.post(
    "/families/{family_id}/assignment",
    summary="Reasignar la familia a otro Apoyo Familiar, con motivo",
    responses=NO_FAMILY
    | {409: {"description": "Ya está asignada a esa persona, o la familia egresó"}},
)
async def reassign(
    family_id: UUID, body: AssignmentIn, db: Session, actor: Actor = "sistema"
) -> FamilyOut:
    family = await intake_service.reassign(db, family_id, body.staff_id, body.reason, actor=actor)
    return family_out(family)


@router.get(
    "/families/{family_id}/versions",
    summary="Versiones de la familia, por nómina",
    responses=NO_FAMILY,
)
async def versions(family_id: UUID, db: Session) -> list[FamilyVersionOut]:
    await intake_service.get_family(db, family_id)
    rows = await db.scalars(
        select(FamilyVersion)
        .where(FamilyVersion.family_id == family_id)
        .order_by(FamilyVersion.version)
    )
    return [
        FamilyVersionOut(
            version=v.version,
            change=v.change,
            import_id=v.import_id,
            recorded_at=v.created_at,
            recorded_by=v.created_by,
            member_count=len(v.snapshot.get("miembros", [])),
        )
        for v in rows
    ]
