"""The family workflow's operator interface: its input, `estado` and `linea_de_tiempo`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Final
from uuid import UUID

from pydantic import BaseModel, Field

from shared.contracts import subjects
from shared.contracts.envelope import EventData

WORKFLOW_TYPE: Final = "FamilyLifecycle"
SIGNAL_EVENT: Final = "evento"
QUERY_STATE: Final = "estado"
QUERY_TIMELINE: Final = "linea_de_tiempo"


# The phases a family's workflow moves through (the `Phase` search attribute's values, in
# order) and the exit causes, as staff read them (DOMAIN.md glossary). One vocabulary for
# the workflow's timeline and every screen.
PHASE_NAMES: Final = {
    "derivacion": "Derivación",
    "contacto": "Contacto y localización",
    "invitacion": "Invitación",
    "compromiso": "Firma de carta de compromiso",
    "diagnostico": "Diagnóstico Eje",
    "plan": "Plan de intervención",
    "acompanamiento": "Acompañamiento",
    "evaluacion": "Evaluación y cierre",
    "egresada": "Egresada",
}
CLOSED_PHASE: Final = "egresada"
RUNNING_PHASES: Final = tuple(code for code in PHASE_NAMES if code != CLOSED_PHASE)
EXIT_CAUSE_NAMES: Final = {
    "cumplimiento": "Cumplimiento de los 24 meses",
    "abandono": "Abandono",
    "renuncia": "Renuncia de la familia",
    "fallecimiento": "Fallecimiento del representante",
    "traslado": "Traslado a otra comuna",
    "no_localizada": "Familia no localizada",
    "rechaza": "La familia rechaza la invitación",
}


def family_workflow_id(family_id: UUID | str) -> str:
    return f"family-lifecycle:{family_id}"


class FamilyLifecycleInput(BaseModel):
    family_id: UUID
    comuna: str
    cohort_year: int
    referred_on: date
    # The family's pinned policy, when it differs from the defaults (workflows/family/policy.py).
    policy: dict[str, Any] | None = None
    # Set by continue-as-new: the whole state of the previous run.
    carried_state: dict[str, Any] | None = None


UPDATE_DECIDE_ABANDONMENT: Final = "decidir_abandono"
UPDATE_CLOSE: Final = "cerrar"
UPDATE_PAUSE: Final = "pausar"
UPDATE_RESUME: Final = "reanudar"
UPDATE_CORRECT_DATE: Final = "corregir_fecha"


class AbandonmentDecision(BaseModel):
    """The Jefe/a de Unidad's decision after the documented home visit."""

    confirmar: bool = Field(description="true: egreso por abandono; false: reincorporar")
    motivo: str = Field(min_length=3, max_length=1000)
    usuario: str = Field(min_length=1, max_length=120)


class CloseRequest(BaseModel):
    causal: str = Field(description="renuncia, fallecimiento o traslado")
    motivo: str = Field(min_length=3, max_length=1000)
    usuario: str = Field(min_length=1, max_length=120)


class PauseRequest(BaseModel):
    motivo: str = Field(min_length=3, max_length=1000)
    usuario: str = Field(min_length=1, max_length=120)


class DateCorrection(BaseModel):
    """A date entered wrong (e.g. the signature date): the deadlines are recomputed."""

    hecho: str = Field(description="compromiso, diagnostico, plan o derivacion")
    fecha: date
    motivo: str = Field(min_length=3, max_length=1000)
    usuario: str = Field(min_length=1, max_length=120)


class TimelineEntry(BaseModel):
    """One line of a family's history as supervisors read it."""

    at: datetime
    kind: str
    description: str
    actor: str = "sistema"
    event_id: UUID | None = None


class LifecycleView(BaseModel):
    """Answer to the `estado` query."""

    family_id: UUID
    comuna: str
    phase: str
    phase_label: str
    phase_since: datetime
    waiting_for: str | None = None
    next_deadline: datetime | None = None
    plan_month: int | None = None
    exit_cause: str | None = None
    pending_tasks: list[str] = Field(default_factory=list)
    payments: dict[str, int] = Field(
        default_factory=dict, description="Transfers so far: settled, rejected, expired"
    )


# Custom search attributes, registered on the dev server at start and on the test server
# by the fixtures, so staff can list e.g. families in diagnosis past their deadline.
SEARCH_ATTRIBUTES: Final = {
    "Phase": "Keyword",
    "Comuna": "Keyword",
    "CohortYear": "Int",
    "PlanMonth": "Int",
    "ApoyoFamiliar": "Keyword",
    "NextDeadline": "Datetime",
}


class FamilyExited(EventData):
    """The family's process ended (*egreso*), published by the workflow's activity."""

    subject: ClassVar[str] = subjects.FAMILY_EXITED

    family_id: UUID
    exit_cause: str = Field(description="causal de egreso, DOMAIN.md §2")
    exited_on: date
