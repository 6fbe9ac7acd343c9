"""Events, commands and queries owned by the plans service. No personal data on the bus."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from shared.contracts import subjects
from shared.contracts.envelope import CommandRequest, Contract, EventData


class OpenCase(CommandRequest):
    """The family workflow asks plans to open the family's case file."""

    subject: ClassVar[str] = subjects.CASE_OPEN

    family_id: UUID
    comuna: str
    referred_on: date


class CaseOpened(Contract):
    family_id: UUID
    opened_at: datetime


class DiagnosisCompleted(EventData):
    """The *diagnóstico Eje* is complete: every active indicator has a level."""

    subject: ClassVar[str] = subjects.DIAGNOSIS_COMPLETED

    family_id: UUID
    diagnosis_id: UUID
    completed_on: date
    critical_indicators: list[str] = Field(description="Indicator codes in a critical level")


class PlanSigned(EventData):
    """A version of the intervention plan was signed; it is the one in force from now on."""

    subject: ClassVar[str] = subjects.PLAN_SIGNED

    family_id: UUID
    plan_id: UUID
    revision: int = Field(ge=1)
    signed_on: date
    trajectory: Literal["simple", "doble"]
    minimum_sessions: int = Field(ge=0, description="Norma Técnica: 12 simple, 16 doble")
    goals: int = Field(ge=0)


class SessionRecorded(EventData):
    subject: ClassVar[str] = subjects.SESSION_RECORDED

    family_id: UUID
    session_id: UUID
    held_on: date
    kind: str
    attendance: Literal["asistio", "no_asistio", "no_ubicada"]
    counts_toward_minimum: bool


class EvaluationCompleted(EventData):
    subject: ClassVar[str] = subjects.EVALUATION_COMPLETED

    family_id: UUID
    evaluated_on: date
    goals_achieved: int = Field(ge=0)
    goals_total: int = Field(ge=0)


class AbandonmentReported(EventData):
    """A document of the abandonment procedure was filed."""

    subject: ClassVar[str] = subjects.ABANDONMENT_REPORTED

    family_id: UUID
    record_id: UUID
    kind: Literal["aviso", "visita", "informe", "recomendacion"]
    dated: date
    recommendation: Literal["egreso", "reincorporacion"] | None = None


class SessionsInMonth(Contract):
    """Query from the workflow's monthly check: the family's sessions in one month."""

    subject: ClassVar[str] = subjects.SESSIONS_IN_MONTH

    family_id: UUID
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)


class SessionsCount(Contract):
    family_id: UUID
    year: int
    month: int
    held: int = Field(description="Sessions recorded in the month, any attendance")
    attended: int = Field(description="Of those, with the family present")
    counted_in_month: int = Field(
        description="Attended and countable (in person, or remote "
        "during a declared health emergency)"
    )
    counted_total: int = Field(description="Countable sessions since the start, to date")
    minimum_total: int | None = Field(description="Norma Técnica minimum for the trajectory")
