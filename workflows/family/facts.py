"""Facts from the bus: each event is parsed with its contract and recorded whatever the phase.

Facts arrive in any order (a contact after the invitation it led to) and may arrive twice
(a redelivery): each event id is applied once, and `phases.advance` decides what they mean.
"""

from __future__ import annotations

from typing import assert_never
from uuid import UUID

from shared.contracts.envelope import Envelope
from shared.contracts.intake import (
    FamilyAssigned,
    FamilyCommitted,
    FamilyContacted,
    FamilyInvited,
    FamilyMoved,
    FamilyReferred,
    FamilyUpdated,
    RepresentativeChanged,
)
from shared.contracts.payments import TransferExpired, TransferRejected, TransferSettled
from shared.contracts.plans import (
    AbandonmentReported,
    DiagnosisCompleted,
    EvaluationCompleted,
    PlanSigned,
    SessionRecorded,
)
from workflows.family.state import FamilyState
from workflows.family.timeline import record

# Event ids remembered for de-duplication; older ones are beyond any redelivery window.
SEEN_EVENTS_KEPT = 500


def first_time_seen(state: FamilyState, event_id: UUID) -> bool:
    """True the first time an event id arrives; remembers it (bounded)."""
    if event_id in state.seen_events:
        return False
    state.seen_events.append(event_id)
    del state.seen_events[:-SEEN_EVENTS_KEPT]
    return True


Fact = (
    FamilyReferred
    | FamilyAssigned
    | FamilyContacted
    | FamilyInvited
    | FamilyCommitted
    | FamilyMoved
    | RepresentativeChanged
    | FamilyUpdated
    | DiagnosisCompleted
    | PlanSigned
    | SessionRecorded
    | EvaluationCompleted
    | AbandonmentReported
    | TransferSettled
    | TransferRejected
    | TransferExpired
)
FACTS: dict[str, type[Fact]] = {
    model.subject: model
    for model in (
        FamilyReferred,
        FamilyAssigned,
        FamilyContacted,
        FamilyInvited,
        FamilyCommitted,
        FamilyMoved,
        RepresentativeChanged,
        FamilyUpdated,
        DiagnosisCompleted,
        PlanSigned,
        SessionRecorded,
        EvaluationCompleted,
        AbandonmentReported,
        TransferSettled,
        TransferRejected,
        TransferExpired,
    )
}


def apply_event(state: FamilyState, event: Envelope) -> None:
    """Record one bus event's fact and its timeline line; phases move in `advance`."""
    model = FACTS.get(event.subject)
    if model is None:
        kind, text = "evento", f"Evento recibido: {event.subject}"
    else:
        kind, text = learn(state, event.payload(model))
    actor = event.actor or event.producer
    record(state, event.occurred_at, kind, text, actor=actor, event_id=event.event_id)


def learn(state: FamilyState, fact: Fact) -> tuple[str, str]:
    """Keep what the fact tells about the family; returns its timeline line (kind, text)."""
    match fact:
        case FamilyReferred():
            return "derivacion", (
                f"Familia {fact.family_code} derivada en la nómina {fact.cohort_year} "
                f"de {fact.comuna} ({fact.member_count} integrantes)"
            )
        case FamilyAssigned():
            state.apoyo_familiar = str(fact.staff_id)
            return "asignacion", f"Asignada a un Apoyo Familiar: {fact.reason}"
        case FamilyContacted():
            state.contact_attempts = max(state.contact_attempts, fact.attempt_number)
            if fact.located and state.located_on is None:
                state.located_on = fact.attempted_on
            result = "familia localizada" if fact.located else "sin localizar"
            return "contacto", (
                f"Intento de contacto {fact.attempt_number} ({fact.channel}): {result}"
            )
        case FamilyInvited():
            state.invitation_accepted = fact.accepted
            if fact.accepted:
                return "invitacion", "La familia acepta la invitación"
            return "invitacion", f"La familia rechaza la invitación: {fact.reason or ''}"
        case FamilyCommitted():
            state.committed_on = fact.signed_on
            return "compromiso", f"Carta de compromiso firmada el {fact.signed_on:%d-%m-%Y}"
        case FamilyMoved():
            state.comuna = fact.to_comuna
            return "traslado", (
                f"Traslado de {fact.from_comuna} a {fact.to_comuna}: el caso continúa"
            )
        case RepresentativeChanged():
            return "representante", (
                f"Cambio de representante desde el {fact.effective_on:%d-%m-%Y}"
            )
        case FamilyUpdated():
            return "composicion", f"Composición familiar actualizada (versión {fact.version})"
        case DiagnosisCompleted():
            state.diagnosis_on = fact.completed_on
            critical = len(fact.critical_indicators)
            return "diagnostico", f"Diagnóstico completado ({critical} indicadores críticos)"
        case PlanSigned():
            state.plan_signed_on = state.plan_signed_on or fact.signed_on
            state.trajectory = fact.trajectory
            return "plan", (
                f"Plan de intervención firmado (versión {fact.revision}, "
                f"trayectoria {fact.trajectory})"
            )
        case SessionRecorded():
            return "sesion", (f"Sesión {fact.kind} del {fact.held_on:%d-%m-%Y}: {fact.attendance}")
        case EvaluationCompleted():
            state.evaluation_on = fact.evaluated_on
            return "evaluacion", (
                f"Evaluación final: {fact.goals_achieved} de {fact.goals_total} metas logradas"
            )
        case AbandonmentReported():
            if fact.kind == "visita" and state.abandonment is not None:
                state.abandonment.visit_on = fact.dated
            return "abandono", (f"Procedimiento de abandono: {fact.kind} del {fact.dated:%d-%m-%Y}")
        case TransferSettled():
            count_payment(state, "settled")
            return "pago", f"Transferencia de {fact.period} pagada ({pesos(fact.amount)})"
        case TransferRejected():
            count_payment(state, "rejected")
            return "pago", (
                f"Transferencia de {fact.period} rechazada por el banco: {fact.reason}; "
                "se reintenta en el próximo ciclo"
            )
        case TransferExpired():
            count_payment(state, "expired")
            return "pago", (
                f"Pago presencial de {fact.period} vencido sin cobrar ({pesos(fact.amount)})"
            )
        case _:
            assert_never(fact)


def count_payment(state: FamilyState, outcome: str) -> None:
    state.payments[outcome] = state.payments.get(outcome, 0) + 1


def pesos(amount: int) -> str:
    return f"${amount:,}".replace(",", ".")
