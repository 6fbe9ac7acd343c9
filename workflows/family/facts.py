"""Facts from the bus: each event is parsed with its contract and recorded whatever the phase.

Facts arrive in any order (a contact after the invitation it led to) and may arrive twice
(a redelivery): each event id is applied once, and `phases.advance` decides what they mean.

An event the workflow cannot apply — a payload that fails its contract, a subject it does
not know, another family's fact, a fact the state cannot take (a date no calendar holds) —
is recorded in the timeline as `ignorado` with the reason, and changes nothing else: one
bad message must not fail the workflow task on every retry and wedge the family.
"""

from __future__ import annotations

from typing import assert_never
from uuid import UUID

from pydantic import ValidationError

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
from workflows.family import deadlines, phases
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


# What applying a fact raises when its data cannot be (a date past year 9999…): the event
# is ignored. Anything else is a bug in this code and fails the workflow task until fixed.
CANNOT_APPLY = (ValueError, ArithmeticError, LookupError, TypeError, AssertionError)
REASONS_SHOWN = 4  # contract errors listed in the timeline line


class Ignored(Exception):
    """The event cannot be applied; the message says why, in Spanish, for the timeline."""


def apply_event(state: FamilyState, event: Envelope) -> bool:
    """Record one bus event's fact and its timeline line; phases move in `advance`.

    False when the event was ignored (only its `ignorado` line is recorded)."""
    try:
        kind, text = apply_fact(state, event)
    except Ignored as ignored:
        kind, text = "ignorado", f"Evento {event.subject} ignorado: {ignored}"
    actor = event.actor or event.producer
    record(state, event.occurred_at, kind, text, actor=actor, event_id=event.event_id)
    return kind != "ignorado"


def apply_fact(state: FamilyState, event: Envelope) -> tuple[str, str]:
    """The event's fact, learnt: first on a copy of the state, with what it sets off (the
    phases it moves, the next deadline), so a fact that cannot be applied changes nothing."""
    fact = parse(state, event)
    trial = state.model_copy(deep=True)
    try:
        learn(trial, fact)
        phases.advance(trial, event.occurred_at)
        deadlines.next_deadline(trial)
    except CANNOT_APPLY as error:
        raise Ignored(f"no se puede aplicar al estado de la familia ({error})") from error
    return learn(state, fact)


def parse(state: FamilyState, event: Envelope) -> Fact:
    """The event's payload, read with its contract; a fact about this family."""
    model = FACTS.get(event.subject)
    if model is None:
        raise Ignored("el proceso de la familia no conoce este tipo de evento")
    try:
        fact = event.payload(model)
    except ValidationError as error:
        raise Ignored(f"no cumple su contrato ({contract_errors(error)})") from error
    if fact.family_id != state.family_id:
        raise Ignored(f"es de otra familia ({fact.family_id})")
    return fact


def contract_errors(error: ValidationError) -> str:
    """What a payload lacks or gets wrong, field by field, in Spanish."""
    reasons = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "el contenido"
        if problem["type"] == "missing":
            reasons.append(f"falta {field}")
        elif problem["type"] == "extra_forbidden":
            reasons.append(f"{field}: campo ajeno al contrato")
        else:
            reasons.append(f"{field}: valor inválido ({problem['type']})")
    more = len(reasons) - REASONS_SHOWN
    return "; ".join(reasons[:REASONS_SHOWN]) + (f"; y {more} más" if more > 0 else "")


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
