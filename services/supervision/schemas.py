"""Supervision's JSON API: what its operations take and answer."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.lifecycle import LifecycleView, TimelineEntry
from shared.contracts.payments import PaymentCycleView

Reason = Field(min_length=3, max_length=1000, description="Queda en la línea de tiempo")


class FamilyLifecycleOut(BaseModel):
    state: LifecycleView
    timeline: list[TimelineEntry] = Field(description="Newest first")


class AbandonmentDecisionIn(BaseModel):
    """The Jefe/a de Unidad's decision after the documented home visit."""

    model_config = ConfigDict(extra="forbid")

    confirm: bool = Field(description="true: egreso por abandono; false: reincorporar")
    reason: str = Reason


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exit_cause: str = Field(max_length=40, description="renuncia, fallecimiento o traslado")
    reason: str = Reason


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Reason


class DateCorrectionIn(BaseModel):
    """A date entered wrong (e.g. the signature date): the deadlines are recomputed."""

    model_config = ConfigDict(extra="forbid")

    fact: str = Field(max_length=40, description="compromiso, diagnostico, plan o derivacion")
    happened_on: date
    reason: str = Reason


class RunningFamily(BaseModel):
    """A running family workflow as Temporal's visibility lists it (no personal data)."""

    family_id: str
    phase: str | None
    comuna: str | None
    plan_month: int | None
    apoyo_familiar_id: str | None
    next_deadline: datetime | None


class Dashboard(BaseModel):
    by_phase: dict[str, int] = Field(description="Running families per phase code")
    total: int
    overdue: int = Field(description="Running families past their next deadline")


class CycleStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    restart: bool = Field(
        False,
        description="Volver a ejecutar un ciclo ya terminado (no paga dos veces: solo envía "
        "lo pendiente)",
    )


class PaymentCycleStatus(BaseModel):
    status: str = Field(description="en curso, terminado, fallido, detenido, cancelado, vencido")
    cycle: PaymentCycleView
