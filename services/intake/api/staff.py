"""`/v1/staff`: the unit's people, their roles, the organisation chart and caseloads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.intake.models import Staff
from services.intake.schemas import StaffIn, StaffOut
from services.intake.staff import ROLE_LABELS, staff_service
from shared.http.deps import Actor, Runtime, Session
from shared.rut import format_rut

router = APIRouter(prefix="/v1/staff", tags=["equipo"])


def staff_out(member: Staff, active: int, default_limit: int) -> StaffOut:
    return StaffOut(
        id=member.id,
        run_formatted=format_rut(member.run),
        name=member.full_name,
        role=member.role,
        role_label=ROLE_LABELS[member.role],
        comuna=member.comuna,
        reports_to_id=member.reports_to_id,
        max_active_families=member.max_active_families or default_limit,
        active_families=active,
        active=member.active,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Agregar una persona al equipo",
    responses={
        404: {"description": "La jefatura indicada no existe"},
        409: {"description": "Esa persona ya está en el equipo"},
    },
)
async def add_staff(body: StaffIn, db: Session, rt: Runtime, actor: Actor = "sistema") -> StaffOut:
    member = await staff_service.add(db, body, actor=actor)
    return staff_out(member, 0, rt.settings.caseload_max_active)


@router.get("", summary="Equipo de una comuna con su carga actual")
async def list_staff(
    db: Session, rt: Runtime, comuna: Annotated[str | None, Query(max_length=80)] = None
) -> list[StaffOut]:
    found = await staff_service.with_active_families(db, comuna)
    return [staff_out(member, active, rt.settings.caseload_max_active) for member, active in found]
