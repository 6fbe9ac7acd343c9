"""The family workflow's state and the pure decisions over it (no Temporal here).

Facts arrive as bus events in any order and are recorded whatever the phase; `advance`
then moves the phase as far as the facts allow. Deadlines are computed from facts and the
family's pinned policy; what happens when one passes is decided here too. The workflow
only waits, calls activities and applies these functions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import assert_never
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

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
from shared.contracts.lifecycle import (
    EXIT_CAUSE_NAMES,
    PHASE_NAMES,
    FamilyLifecycleInput,
    LifecycleView,
    TimelineEntry,
)
from shared.contracts.payments import TransferExpired, TransferRejected, TransferSettled
from shared.contracts.plans import (
    AbandonmentReported,
    DiagnosisCompleted,
    EvaluationCompleted,
    PlanSigned,
    SessionRecorded,
)
from workflows.family.policy import Policy

# Event ids remembered for de-duplication; older ones are beyond any redelivery window.
SEEN_EVENTS_KEPT = 500
SANTIAGO = ZoneInfo("America/Santiago")


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
EXIT_CAUSES = EXIT_CAUSE_NAMES


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


class Deadline(BaseModel):
    key: str
    due: datetime
    label: str


# ---- time ---------------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    return moment.astimezone(SANTIAGO).date()


def start_of(day: date) -> datetime:
    """Midnight of `day` in Santiago, as an aware UTC instant."""
    return datetime.combine(day, time(0), tzinfo=SANTIAGO).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# ---- recording ----------------------------------------------------------------------


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


def move_to(state: FamilyState, phase: Phase, now: datetime) -> None:
    state.phase = phase
    state.phase_since = now
    record(state, now, "fase", f"Fase: {PHASE_LABELS[phase]}")


def exit_family(state: FamilyState, cause: str, now: datetime, *, actor: str = "sistema") -> None:
    state.exit_cause = cause
    state.exited_on = local_day(now)
    state.phase = Phase.CLOSED
    state.phase_since = now
    record(state, now, "egreso", f"Egreso: {EXIT_CAUSES.get(cause, cause)}", actor=actor)


# ---- facts from the bus ---------------------------------------------------------------

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


def payments_hold_wanted(state: FamilyState) -> bool | None:
    """Whether payments should hold the family's orders now; None when nothing changes.

    Held while the process is paused or an abandonment procedure is open; a closed family
    keeps what it had (its held orders are the payments officer's to settle).
    """
    if state.closed:
        return None
    wanted = state.paused or state.abandonment is not None
    return None if wanted == state.payments_held else wanted


# ---- phases -------------------------------------------------------------------------


def advance(state: FamilyState, now: datetime) -> None:
    """Move the phase as far as the recorded facts allow (events may come out of order)."""
    while not state.closed:
        before = state.phase
        match state.phase:
            case Phase.REFERRAL if state.case_opened:
                move_to(state, Phase.CONTACT, now)
            case Phase.CONTACT if state.located_on is not None:
                move_to(state, Phase.INVITATION, now)
            case Phase.INVITATION if state.invitation_accepted is False:
                exit_family(state, "rechaza", now)
            case Phase.INVITATION if state.invitation_accepted:
                move_to(state, Phase.COMMITMENT, now)
            case Phase.COMMITMENT if state.committed_on is not None:
                move_to(state, Phase.DIAGNOSIS, now)
            case Phase.DIAGNOSIS if state.diagnosis_on is not None:
                move_to(state, Phase.PLAN, now)
            case Phase.PLAN if state.plan_signed_on is not None:
                start_accompaniment(state, now)
            case Phase.EVALUATION if state.evaluation_on is not None:
                exit_family(state, "cumplimiento", now)
        if state.phase is before:
            return


def start_accompaniment(state: FamilyState, now: datetime) -> None:
    assert state.plan_signed_on is not None
    signed = max(state.plan_signed_on, state.committed_on or state.plan_signed_on)
    state.first_month = add_months(signed.replace(day=1), state.policy.first_month_offset)
    move_to(state, Phase.ACCOMPANIMENT, now)
    record(
        state,
        now,
        "acompanamiento",
        f"El mes 1 del plan es {state.first_month:%m-%Y}; las transferencias parten ese mes",
    )


def next_deadline(state: FamilyState) -> Deadline | None:
    """The next moment the workflow must act by itself, if nothing arrives before."""
    p = state.policy
    if state.closed or state.paused:
        return None
    if state.phase in (Phase.REFERRAL, Phase.CONTACT):
        due = state.referred_on + timedelta(days=p.contact_deadline_days)
        return Deadline(key="contacto:plazo", due=start_of(due), label="localizar a la familia")
    if state.phase is Phase.DIAGNOSIS and state.committed_on is not None:
        return _staged(
            "diagnostico",
            state,
            state.committed_on,
            p.diagnosis_deadline_days,
            "completar el diagnóstico",
        )
    if state.phase is Phase.PLAN and state.diagnosis_on is not None:
        return _staged(
            "plan",
            state,
            state.diagnosis_on,
            p.plan_deadline_days,
            "firmar el plan de intervención",
        )
    if state.phase is Phase.ACCOMPANIMENT and state.first_month is not None:
        candidates = [
            Deadline(
                key=f"mes:{state.plan_month + 1}",
                due=start_of(add_months(state.first_month, state.plan_month)),
                label="inicio del mes 1 del plan"
                if state.plan_month == 0
                else f"cierre del mes {state.plan_month}",
            )
        ]
        ab = state.abandonment
        if ab is not None and ab.visit_on is None and not ab.escalated:
            candidates.append(
                Deadline(
                    key="abandono:visita",
                    due=start_of(ab.visit_due),
                    label="visita domiciliaria por abandono",
                )
            )
        return min(candidates, key=lambda d: d.due)
    if state.phase is Phase.EVALUATION and state.first_month is not None:
        end = add_months(state.first_month, p.plan_months)
        return _staged(
            "evaluacion", state, end, p.evaluation_deadline_days, "registrar la evaluación final"
        )
    return None


def _staged(name: str, state: FamilyState, since: date, days: int, label: str) -> Deadline | None:
    reminder = f"{name}:recordatorio"
    escalation = f"{name}:escalamiento"
    due = since + timedelta(days=days)
    if reminder not in state.notices:
        return Deadline(key=reminder, due=start_of(due), label=label)
    if escalation not in state.notices:
        later = due + timedelta(days=state.policy.escalation_after_days)
        return Deadline(key=escalation, due=start_of(later), label=label)
    return None


def deadline_passed(state: FamilyState, deadline: Deadline, now: datetime) -> str | None:
    """Apply a passed deadline. Returns a notice for the Apoyo Familiar / Jefe/a, if any.

    Month boundaries are not handled here: closing a month needs the session count, which
    the workflow asks plans for (see `close_month`).
    """
    if deadline.key == "contacto:plazo":
        record(
            state,
            now,
            "plazo",
            f"Venció el plazo de {state.policy.contact_deadline_days} días para localizar "
            "a la familia",
        )
        exit_family(state, "no_localizada", now)
        return None
    if deadline.key == "abandono:visita":
        assert state.abandonment is not None
        state.abandonment.escalated = True
        text = (
            "Venció el plazo de la visita domiciliaria por abandono: se informa al Jefe/a de Unidad"
        )
        record(state, now, "escalamiento", text)
        return text
    state.notices.append(deadline.key)
    if deadline.key.endswith(":recordatorio"):
        text = f"Recordatorio: venció el plazo para {deadline.label}"
        record(state, now, "recordatorio", text)
    else:
        text = f"Escalamiento al Jefe/a de Unidad: sigue pendiente {deadline.label}"
        record(state, now, "escalamiento", text)
    return text


def begin_month(state: FamilyState, now: datetime) -> None:
    state.plan_month += 1
    record(state, now, "mes", f"Inicio del mes {state.plan_month} del plan")


def close_month(state: FamilyState, counted_sessions: int, now: datetime) -> str | None:
    """The month just ended had `counted_sessions` sessions. Returns a notice, if any."""
    month = state.plan_month
    notice = None
    if counted_sessions > 0:
        state.months_without_session = 0
        record(state, now, "mes", f"Mes {month} cerrado: {counted_sessions} sesiones")
    else:
        state.months_without_session += 1
        record(
            state,
            now,
            "mes",
            f"Mes {month} cerrado sin sesiones ({state.months_without_session} seguidos)",
        )
        if (
            state.months_without_session >= state.policy.months_without_session
            and state.abandonment is None
        ):
            today = local_day(now)
            state.abandonment = Abandonment(
                opened_on=today,
                reason=f"{state.months_without_session} meses seguidos sin sesiones",
                visit_due=today + timedelta(days=state.policy.abandonment_visit_days),
            )
            notice = (
                f"Se abre el procedimiento de abandono ({state.abandonment.reason}): "
                f"visita domiciliaria documentada antes del {state.abandonment.visit_due:%d-%m-%Y}"
            )
            record(state, now, "abandono", notice)
    if month >= state.policy.plan_months:
        move_to(state, Phase.EVALUATION, now)
    else:
        begin_month(state, now)
    return notice


# ---- operator decisions (validated in the workflow's update validators) ---------------


def check_abandonment_decision(state: FamilyState) -> None:
    if state.closed:
        raise ValueError("La familia ya egresó del programa")
    if state.abandonment is None:
        raise ValueError("No hay un procedimiento de abandono abierto para esta familia")
    if state.abandonment.visit_on is None:
        raise ValueError("Falta la visita domiciliaria documentada antes de decidir")


def decide_abandonment(
    state: FamilyState, confirm: bool, reason: str, actor: str, now: datetime
) -> None:
    if confirm:
        record(
            state,
            now,
            "decision",
            f"El Jefe/a de Unidad confirma el abandono: {reason}",
            actor=actor,
        )
        exit_family(state, "abandono", now, actor=actor)
    else:
        record(
            state,
            now,
            "decision",
            f"El Jefe/a de Unidad reincorpora a la familia: {reason}",
            actor=actor,
        )
        state.abandonment = None
        state.months_without_session = 0


def check_close(state: FamilyState, cause: str) -> None:
    if state.closed:
        raise ValueError("La familia ya egresó del programa")
    if cause not in ("renuncia", "fallecimiento", "traslado"):
        raise ValueError(
            "Por esta vía solo se registra renuncia, fallecimiento o traslado; el abandono "
            "se decide con decidir_abandono y el cumplimiento llega con la evaluación"
        )


def view(state: FamilyState, now: datetime | None = None) -> LifecycleView:
    deadline = next_deadline(state)
    waiting = {
        Phase.REFERRAL: "apertura del expediente en planes",
        Phase.CONTACT: "localizar a la familia",
        Phase.INVITATION: "respuesta a la invitación",
        Phase.COMMITMENT: "firma de la carta de compromiso",
        Phase.DIAGNOSIS: "diagnóstico completado",
        Phase.PLAN: "firma del plan de intervención",
        Phase.ACCOMPANIMENT: "sesiones del mes",
        Phase.EVALUATION: "evaluación final",
        Phase.CLOSED: None,
    }[state.phase]
    tasks = []
    if state.abandonment is not None:
        waiting = (
            "decisión del Jefe/a de Unidad sobre el abandono"
            if state.abandonment.visit_on
            else "visita domiciliaria por abandono"
        )
        tasks.append(waiting)
    tasks += [n.split(":")[0] for n in state.notices if n.endswith(":escalamiento")]
    return LifecycleView(
        family_id=state.family_id,
        comuna=state.comuna,
        phase=state.phase.value,
        phase_label=PHASE_LABELS[state.phase],
        phase_since=state.phase_since,
        waiting_for=None if state.paused else waiting,
        next_deadline=deadline.due if deadline else None,
        plan_month=state.plan_month or None,
        exit_cause=state.exit_cause,
        pending_tasks=tasks,
        payments=dict(state.payments),
    )
