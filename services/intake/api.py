"""Intake's HTTP endpoints: thin, they validate, call the service and shape the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, status

from services.intake.models import Family
from services.intake.schemas import FamilyIn, FamilyOut, member_out
from services.intake.service import intake_service
from shared.http.deps import Actor, Runtime, Session

router = APIRouter(prefix="/v1", tags=["familias"])


def family_out(family: Family) -> FamilyOut:
    return FamilyOut(
        id=family.id,
        id_familia=family.family_code,
        comuna=family.comuna,
        cohorte=family.cohort_year,
        estado=family.status,
        fecha_derivacion=family.referred_on,
        miembros=[
            member_out(
                m.run,
                nombres=m.given_names,
                apellido_paterno=m.paternal_surname,
                apellido_materno=m.maternal_surname,
                sexo=m.sex,
                fecha_nacimiento=m.birth_date,
                parentesco=m.relation,
                jefe_hogar=m.is_household_head,
            )
            for m in family.members
        ],
    )


@router.post(
    "/families",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar una familia derivada",
    responses={409: {"description": "La familia o una persona ya está registrada"}},
)
async def register_family(
    body: FamilyIn, db: Session, rt: Runtime, actor: Actor = "sistema"
) -> FamilyOut:
    today = datetime.now(ZoneInfo(rt.settings.timezone)).date()
    family = await intake_service.register_family(db, body, actor=actor, today=today)
    return family_out(family)


@router.get("/families/{family_id}", summary="Ver una familia")
async def get_family(family_id: UUID, db: Session) -> FamilyOut:
    return family_out(await intake_service.get_family(db, family_id))


@router.get("/families", summary="Buscar familias por RUN de un integrante")
async def search_families(
    db: Session, run: Annotated[str, Query(min_length=3, max_length=14)]
) -> list[FamilyOut]:
    return [family_out(f) for f in await intake_service.find_by_run(db, run)]
