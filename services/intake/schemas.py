"""Intake's HTTP request and response bodies (Spanish field names: people type them)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.intake.relations import relation_code
from shared.errors import ValidationFailed
from shared.rut import format_rut, normalize_rut


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: str = Field(min_length=3, max_length=14, examples=["12.345.678-5"])
    nombres: str = Field(min_length=1, max_length=120)
    apellido_paterno: str = Field(min_length=1, max_length=80)
    apellido_materno: str | None = Field(None, max_length=80)
    sexo: Literal["F", "M"] | None = None
    fecha_nacimiento: date | None = None
    parentesco: str | None = Field(None, max_length=40)
    jefe_hogar: bool = False

    @field_validator("run")
    @classmethod
    def _valid_run(cls, value: str) -> str:
        return normalize_rut(value)

    @field_validator("parentesco")
    @classmethod
    def _known_relation(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = relation_code(value)
        if code is None:
            raise ValidationFailed("Parentesco no reconocido")
        return code


class FamilyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_familia: str | None = Field(
        None, min_length=1, max_length=40, description="Identificador de la nómina"
    )
    comuna: str = Field(min_length=1, max_length=80)
    cohorte: int = Field(ge=2000, le=2100, description="Año de la nómina")
    fecha_derivacion: date | None = None
    miembros: list[MemberIn] = Field(min_length=1, max_length=30)


class MemberOut(BaseModel):
    run: str
    run_formateado: str
    nombres: str
    apellido_paterno: str
    apellido_materno: str | None
    sexo: str | None
    fecha_nacimiento: date | None
    parentesco: str | None
    jefe_hogar: bool


class RepresentativeOut(BaseModel):
    """The payee: `run` normalised (`12345678K`), the rule's reason or the operator's."""

    run: str
    run_formateado: str
    nombre: str
    motivo: str
    motivo_texto: str
    justificacion: str | None
    desde: date | None


class FamilyOut(BaseModel):
    id: UUID
    id_familia: str
    comuna: str
    cohorte: int
    estado: str
    version: int
    fecha_derivacion: date
    miembros: list[MemberOut]
    representante: RepresentativeOut | None
    apoyo_familiar_id: UUID | None


class RepresentativeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: str = Field(min_length=3, max_length=14, description="RUN de un integrante adulto")
    justificacion: str = Field(min_length=10, max_length=1000)

    @field_validator("run")
    @classmethod
    def _valid_run(cls, value: str) -> str:
        return normalize_rut(value)


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    staff_id: UUID
    motivo: str = Field(min_length=5, max_length=500)


def member_out(run: str, **fields: object) -> MemberOut:
    return MemberOut.model_validate({"run": run, "run_formateado": format_rut(run), **fields})
