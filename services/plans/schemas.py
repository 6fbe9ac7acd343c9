"""Plans' HTTP bodies (Spanish field names: professionals type them on a phone)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.plans.rules import Attendance, SessionKindCode


class CaseOut(BaseModel):
    family_id: UUID
    comuna: str | None
    fecha_derivacion: date | None
    abierto_en: datetime
    compromiso_firmado_el: date | None = None
    apoyo_familiar_id: UUID | None = None
    egreso: date | None = None
    causal_egreso: str | None = None


class DiagnosisItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicador: str = Field(min_length=1, max_length=60)
    nivel: int | None = Field(None, ge=0, le=10)
    notas: str | None = Field(None, max_length=2000)
    integrantes: list[UUID] = Field(default_factory=list, max_length=30)


class DiagnosisIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[DiagnosisItem] = Field(max_length=200)


class DiagnosisOut(BaseModel):
    id: UUID
    family_id: UUID
    estado: str
    version: int
    items: list[DiagnosisItem]
    completado_por: str | None
    completado_el: date | None


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimension: str = Field(min_length=1, max_length=40)
    descripcion: str = Field(min_length=3, max_length=2000)
    acciones: list[str] = Field(default_factory=list, max_length=30)
    responsable_id: UUID | None = None
    fecha_meta: date | None = None
    estado: Literal["pendiente", "en_curso", "lograda", "no_lograda"] = "pendiente"


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asl_adultos: int = Field(0, ge=0, le=2, description="Adultos con acompañamiento sociolaboral")
    metas: list[GoalIn] = Field(max_length=60)


class GoalOut(GoalIn):
    id: UUID


class PlanOut(BaseModel):
    id: UUID
    family_id: UUID
    revision: int
    estado: str
    version: int
    trayectoria: Literal["simple", "doble"]
    asl_adultos: int
    metas: list[GoalOut]
    firmado_el: date | None
    firmado_por: str | None


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fecha: date


class SessionIn(BaseModel):
    """What a professional records at the door, in under a minute."""

    model_config = ConfigDict(extra="forbid")

    fecha: date
    tipo: SessionKindCode
    asistencia: Attendance
    dimensiones: list[str] = Field(default_factory=list, max_length=10)
    metas: list[UUID] = Field(default_factory=list, max_length=60)
    asistentes: list[UUID] = Field(default_factory=list, max_length=30)
    notas: str | None = Field(None, max_length=4000)


class SessionOut(BaseModel):
    id: UUID
    family_id: UUID
    fecha: date
    tipo: str
    tipo_nombre: str
    asistencia: str
    dimensiones: list[str]
    metas: list[str]
    asistentes: list[str]
    notas: str | None
    profesional: str
    advertencia: str | None = None


class EvaluationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fecha: date | None = None
    items: list[DiagnosisItem] = Field(max_length=200)
    metas_logradas: list[UUID] = Field(default_factory=list, max_length=60)
    notas: str | None = Field(None, max_length=4000)


class AbandonmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tipo: Literal["aviso", "visita", "informe", "recomendacion"]
    fecha: date
    contenido: str = Field(min_length=3, max_length=8000)
    recomendacion: Literal["egreso", "reincorporacion"] | None = None


class AbandonmentOut(BaseModel):
    id: UUID
    tipo: str
    fecha: date
    autor: str
    contenido: str
    recomendacion: str | None


class LevelOut(BaseModel):
    nivel: int
    nombre: str


class IndicatorOut(BaseModel):
    codigo: str
    nombre: str
    niveles: list[LevelOut]
    critico_hasta: int


class DimensionOut(BaseModel):
    codigo: str
    nombre: str
    indicadores: list[IndicatorOut]


class ComparisonRow(BaseModel):
    """One indicator before (diagnosis) and after (final evaluation)."""

    dimension: str
    indicador: str
    nombre: str
    antes: int | None
    despues: int | None
    cambio: int | None


class TaskOut(BaseModel):
    family_id: UUID
    tipo: str
    descripcion: str
    vence: date | None
    vencida: bool
