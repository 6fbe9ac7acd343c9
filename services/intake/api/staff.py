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
    nombre: str = Field(min_length=1, max_length=160)
    rol: Role
    comuna: str = Field(min_length=1, max_length=80)
    jefatura_id: UUID | None = Field(None, description="A quién reporta (organigrama)")
    max_familias_activas: int | None = Field(None, ge=1, le=500)

    @field_validator("run")
    @classmethod
    def _valid_run(cls, value: str) -> str:
        return normalize_rut(value)


class StaffOut(BaseModel):
    id: UUID
    run_formateado: str
    nombre: str
    rol: Role
    rol_nombre: str
    comuna: str
    jefatura_id: UUID | None
    max_familias_activas: int
    familias_activas: int
    activo: bool


def staff_out(member: Staff, active: int, default_limit: int) -> StaffOut:
    return StaffOut(
        id=member.id,
        run_formateado=format_rut(member.run),
        nombre=member.full_name,
        rol=member.role,
        rol_nombre=ROLE_LABELS[member.role],
        comuna=member.comuna,
        jefatura_id=member.reports_to_id,
        max_familias_activas=member.max_active_families or default_limit,
        familias_activas=active,
        activo=member.active,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Agregar una persona al equipo")
async def add_staff(body: StaffIn, db: Session, rt: Runtime, actor: Actor = "sistema") -> StaffOut:
    if await db.scalar(select(Staff.id).where(Staff.run == body.run)) is not None:
        raise Conflict("Esa persona ya está en el equipo")
    if body.jefatura_id is not None and await db.get(Staff, body.jefatura_id) is None:
        raise NotFound("La jefatura indicada no existe")
    member = Staff(
        run=body.run,
        full_name=body.nombre,
        role=body.rol,
        comuna=" ".join(body.comuna.split()),
        reports_to_id=body.jefatura_id,
        max_active_families=body.max_familias_activas,
    )
    db.add(member)
    await db.flush()
    await record_audit(
        db, actor=actor, action="equipo.agregado", entity="staff", entity_id=member.id, rol=body.rol
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
