"""The family workflow's state and the pure decisions over it (no Temporal here)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from shared.contracts import subjects
from shared.contracts.envelope import Envelope
from shared.contracts.intake import FamilyReferred
from shared.contracts.lifecycle import FamilyLifecycleInput, LifecycleView, TimelineEntry

# Event ids remembered for de-duplication; older ones are beyond any redelivery window.
SEEN_EVENTS_KEPT = 500


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


PHASE_LABELS: dict[Phase, str] = {
    Phase.REFERRAL: "Derivación",
    Phase.CONTACT: "Contacto y localización",
    Phase.INVITATION: "Invitación",
    Phase.COMMITMENT: "Firma de carta de compromiso",
    Phase.DIAGNOSIS: "Diagnóstico Eje",
    Phase.PLAN: "Plan de intervención",
    Phase.ACCOMPANIMENT: "Acompañamiento",
    Phase.EVALUATION: "Evaluación y cierre",
    Phase.CLOSED: "Egresada",
}


class FamilyState(BaseModel):
    """Everything the workflow knows; carried whole across continue-as-new."""

    family_id: UUID
    comuna: str
    cohort_year: int
    referred_on: date
    phase: Phase = Phase.REFERRAL
    phase_since: datetime
    case_opened: bool = False
    exit_cause: str | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)
    seen_events: list[UUID] = Field(default_factory=list)

    @classmethod
    def start(cls, start: FamilyLifecycleInput, now: datetime) -> FamilyState:
        return cls(
            family_id=start.family_id,
            comuna=start.comuna,
            cohort_year=start.cohort_year,
            referred_on=start.referred_on,
            phase_since=now,
        )

    @property
    def closed(self) -> bool:
        return self.phase is Phase.CLOSED


def record(
    state: FamilyState,
    at: datetime,
    kind: str,
    description: str,
    *,
    actor: str = "sistema",
    event_id: UUID | None = None,
) -> None:
    state.timeline.append(
        TimelineEntry(at=at, kind=kind, description=description, actor=actor, event_id=event_id)
    )


def first_time_seen(state: FamilyState, event_id: UUID) -> bool:
    """True the first time an event id arrives; remembers it (bounded)."""
    if event_id in state.seen_events:
        return False
    state.seen_events.append(event_id)
    del state.seen_events[:-SEEN_EVENTS_KEPT]
    return True


def apply_event(state: FamilyState, event: Envelope) -> None:
    """Fold one bus event into the state and the timeline."""
    actor = event.actor or event.producer
    if event.subject == subjects.FAMILY_REFERRED:
        referred = event.payload(FamilyReferred)
        record(
            state,
            event.occurred_at,
            "derivacion",
            f"Familia {referred.family_code} derivada en la nómina {referred.cohort_year} "
            f"de {referred.comuna} ({referred.member_count} integrantes)",
            actor=actor,
            event_id=event.event_id,
        )
        return
    record(
        state,
        event.occurred_at,
        "evento",
        f"Evento recibido: {event.subject}",
        actor=actor,
        event_id=event.event_id,
    )


def view(state: FamilyState) -> LifecycleView:
    waiting_for = None if state.case_opened else "apertura del expediente en planes"
    return LifecycleView(
        family_id=state.family_id,
        comuna=state.comuna,
        phase=state.phase.value,
        phase_label=PHASE_LABELS[state.phase],
        phase_since=state.phase_since,
        waiting_for=waiting_for,
        exit_cause=state.exit_cause,
    )
