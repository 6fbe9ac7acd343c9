"""The family workflow's state: everything it knows, carried whole across continue-as-new.

The decisions over it are pure functions in the modules beside this one (no Temporal
there): `facts` records what the bus says, `phases` moves the phase as far as the facts
allow, `deadlines` says when the workflow must act by itself, `months` closes each month
of the accompaniment, `payments_hold` says what payments must hold, `decisions` applies
an operator's update and `view` answers the `estado` query.

A change here must load states carried by older runs (workflows/README.md): add fields
with defaults; never rename or remove one in the same release.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from shared.contracts.lifecycle import PHASE_NAMES, FamilyLifecycleInput, TimelineEntry
from workflows.family.policy import Policy


class Phase(StrEnum):
    REFERRAL = "derivacion"
    CONTACT = "contacto"
    INVITATION = "invitacion"
    COMMITMENT = "compromiso"
    DIAGNOSIS = "diagnostico"
    PLAN = "plan"
    ACCOMPANIMENT = "acompanamiento"
    EVALUATION = "evaluacion"
    CLOSED = "egresada"


PHASE_LABELS: dict[Phase, str] = {phase: PHASE_NAMES[phase.value] for phase in Phase}


class Abandonment(BaseModel):
    opened_on: date
    reason: str
    visit_due: date
    visit_on: date | None = None
    escalated: bool = False


class FamilyState(BaseModel):
    """Everything the workflow knows; carried whole across continue-as-new."""

    family_id: UUID
    comuna: str
    cohort_year: int
    referred_on: date
    policy: Policy = Field(default_factory=Policy)
    phase: Phase = Phase.REFERRAL
    phase_since: datetime
    case_opened: bool = False
    apoyo_familiar: str | None = None
    # Facts, as they arrive.
    contact_attempts: int = 0
    located_on: date | None = None
    invitation_accepted: bool | None = None
    committed_on: date | None = None
    diagnosis_on: date | None = None
    plan_signed_on: date | None = None
    trajectory: str | None = None
    evaluation_on: date | None = None
    # Accompaniment.
    first_month: date | None = None  # first day of plan month 1
    plan_month: int = 0  # months started so far
    months_without_session: int = 0
    abandonment: Abandonment | None = None
    paused: bool = False
    payments_held: bool = False  # what payments was last told
    notices: list[str] = Field(default_factory=list)  # reminders/escalations already given
    payments: dict[str, int] = Field(default_factory=dict)  # settled, rejected, expired
    exit_cause: str | None = None
    exited_on: date | None = None
    runs: int = 1  # workflow runs so far (continue-as-new)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    seen_events: list[UUID] = Field(default_factory=list)

    @classmethod
    def start(cls, start: FamilyLifecycleInput, now: datetime, policy: Policy) -> FamilyState:
        return cls(
            family_id=start.family_id,
            comuna=start.comuna,
            cohort_year=start.cohort_year,
            referred_on=start.referred_on,
            policy=policy,
            phase_since=now,
        )

    @property
    def closed(self) -> bool:
        return self.phase is Phase.CLOSED
