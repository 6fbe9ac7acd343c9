"""The counts intake and plans answer on `/v1/statistics` (a year) and `/v1/statistics/monthly`
(a month), which supervision's reports and dashboard read. Only numbers, never a person.

Codes keep their domain values (exit causes, channels, abandonment steps); the Spanish
words staff read for them are here too, beside the exit causes of `lifecycle.py`.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from pydantic import Field

from shared.contracts.envelope import Contract
from shared.contracts.intake import ExitCause

ContactChannel = Literal["visita", "telefono", "otro"]
ContactResult = Literal["localizada", "no_localizada"]
AbandonmentStep = Literal["aviso", "visita", "informe", "recomendacion"]
AbandonmentOutcome = Literal["egreso", "reincorporacion"]

EXIT_CAUSES: Final[tuple[ExitCause, ...]] = get_args(ExitCause)
CONTACT_CHANNELS: Final[tuple[ContactChannel, ...]] = get_args(ContactChannel)
CONTACT_RESULTS: Final[tuple[ContactResult, ...]] = get_args(ContactResult)
ABANDONMENT_STEPS: Final[tuple[AbandonmentStep, ...]] = get_args(AbandonmentStep)
ABANDONMENT_OUTCOMES: Final[tuple[AbandonmentOutcome, ...]] = get_args(AbandonmentOutcome)

CHANNEL_LABELS: Final[dict[ContactChannel, str]] = {
    "visita": "Visita domiciliaria",
    "telefono": "Teléfono",
    "otro": "Otro medio",
}
CONTACT_RESULT_LABELS: Final[dict[ContactResult, str]] = {
    "localizada": "Localizada",
    "no_localizada": "No localizada",
}
ABANDONMENT_STEP_LABELS: Final[dict[AbandonmentStep, str]] = {
    "aviso": "Aviso a la familia",
    "visita": "Visita domiciliaria",
    "informe": "Informe documentado",
    "recomendacion": "Recomendación a la Jefatura",
}

ExitCounts = dict[ExitCause, int]


class StatisticsAnswer(Contract):
    schema_version: Literal[1] = 1
    comuna: str | None = Field(description="The comuna asked for; null: every comuna")


class IntakeStages(Contract):
    """Families whose fact happened in the year."""

    referred: int
    located: int
    invited: int
    accepted: int
    declined: int
    committed: int


class Coverage(Contract):
    """Families in the programme some time of the year (signed, not out before it began)."""

    families: int
    persons: int = Field(description="Their members")


class ContactCount(Contract):
    channel: ContactChannel
    result: ContactResult
    attempts: int
    families: int


class IntakeYearStatistics(StatisticsAnswer):
    year: int
    stages: IntakeStages
    coverage: Coverage
    contacts: list[ContactCount] = Field(description="Every channel and result, zeros too")
    exits: ExitCounts = Field(description="Every exit cause, zeros too")


class IntakePhases(Contract):
    """Families at the month's end, by the step they are in (exited ones not counted)."""

    contact: int
    invitation: int
    commitment: int
    committed: int = Field(description="Commitment signed: plans counts their phases")


class IntakeEntries(Contract):
    referred: int
    committed: int


class IntakeOverdue(Contract):
    contact: int = Field(description="Not located within the deadline of their referral")
    contact_deadline_days: int


class IntakeMonthStatistics(StatisticsAnswer):
    month: str = Field(description="AAAA-MM")
    by_phase: IntakePhases
    entries: IntakeEntries
    exits: ExitCounts
    overdue: IntakeOverdue


class PlansStages(Contract):
    diagnosed: int
    plan_signed: int
    in_accompaniment: int = Field(description="Plan signed by the year's end, not out before")
    evaluated: int


class SessionKindCount(Contract):
    kind: str
    kind_label: str
    counts_toward_minimum: bool
    sessions: int
    attended: int
    absent: int
    not_located: int
    families: int


class AbandonmentDocuments(Contract):
    documents: int
    families: int


class Abandonment(Contract):
    steps: dict[AbandonmentStep, AbandonmentDocuments]
    recommendations: dict[AbandonmentOutcome, int] = Field(
        description="Families per recommendation made"
    )


class PlansYearStatistics(StatisticsAnswer):
    year: int
    stages: PlansStages
    sessions: list[SessionKindCount] = Field(description="Every kind of session, zeros too")
    abandonment: Abandonment


class PlansPhases(Contract):
    """Committed families at the month's end, by phase; a signed plan wins over a late
    diagnosis."""

    diagnosis: int
    plan: int
    accompaniment: int
    evaluation: int


class MonthSessions(Contract):
    held: int
    attended: int
    families_expected: int = Field(description="In accompaniment since before the month")
    families_with_session: int
    families_without_session: int
    by_kind: list[SessionKindCount]


class PlansOverdue(Contract):
    diagnosis: int
    plan: int
    without_session: int = Field(description="Expected a session this month, had none")
    open_abandonment: int
    diagnosis_deadline_days: int
    plan_deadline_days: int


class PlansMonthStatistics(StatisticsAnswer):
    month: str = Field(description="AAAA-MM")
    by_phase: PlansPhases
    diagnoses_completed: int
    plans_signed: int
    sessions: MonthSessions
    overdue: PlansOverdue
