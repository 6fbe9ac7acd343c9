"""`/v1/staff`: the unit's people, their roles, the organisation chart and caseloads."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select

from services.intake.models import Family, Staff
from shared.db.audit import record_audit
from shared.errors import Conflict, NotFound
from shared.http.deps import Actor, Runtime, Session
from shared.rut import format_rut, normalize_rut

router = APIRouter(prefix="/v1/staff", tags=["equipo"])

Role = Literal["apoyo_familiar", "jefe_unidad", "administrativo", "supervisor_fosis"]
ROLE_LABELS = {
    "apoyo_familiar": "Apoyo Familiar Integral",
    "jefe_unidad": "Jefe/a de Unidad",
    "administrativo": "Administrativo/a",
    "supervisor_fosis": "Supervisor/a FOSIS (solo lectura)",
}


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: str = Field(min_length=3, max_length=14)
    name: str = Field(min_length=1, max_length=160)
    role: Role
    comuna: str = Field(min_length=1, max_length=80)
    reports_to_id: UUID | None = Field(None, description="A quién reporta (organigrama)")
    max_active_families: int | None = Field(None, ge=1, le=500)

    @field_validator("run")
    @classmethod
    def _valid_run(cls, value: str) -> str:
        return normalize_rut(value)


class StaffOut(BaseModel):
    id: UUID
    run_formatted: str
    name: str
    role: Role
    role_label: str
    comuna: str
    reports_to_id: UUID | None
    max_active_families: int
    active_families: int
    active: bool


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
    if await db.scalar(select(Staff.id).where(Staff.run == body.run)) is not None:
        raise Conflict("Esa persona ya está en el equipo")
    if body.reports_to_id is not None and await db.get(Staff, body.reports_to_id) is None:
        raise NotFound("La jefatura indicada no existe")
    member = Staff(
        run=body.run,
        full_name=body.name,
        role=body.role,
        comuna=" ".join(body.comuna.split()),
        reports_to_id=body.reports_to_id,
        max_active_families=body.max_active_families,
    )
    db.add(member)
    await db.flush()
    await record_audit(
        db,
        actor=actor,
        action="equipo.agregado",
        entity="staff",
        entity_id=member.id,
        rol=body.role,
    )
    return staff_out(member, 0, rt.settings.caseload_max_active)


@router.get("", summary="Equipo de una comuna con su carga actual")
async def list_staff(
    db: Session, rt: Runtime, comuna: Annotated[str | None, Query(max_length=80)] = None
) -> list[StaffOut]:
    load = (
        select(Family.apoyo_familiar_id, func.count().label("active"))
        .where(Family.status == "active")
        .group_by(Family.apoyo_familiar_id)
        .subquery()
    )
    query = (
        select(Staff, func.coalesce(load.c.active, 0))
        .outerjoin(load, load.c.apoyo_familiar_id == Staff.id)
        .order_by(Staff.role, Staff.full_name)
    )
    if comuna:
        query = query.where(Staff.comuna == " ".join(comuna.split()))
    rows = await db.execute(query)
    return [staff_out(member, active, rt.settings.caseload_max_active) for member, active in rows]
