"""What the `estado` query answers: the phase, what it waits for and the next deadline."""

from __future__ import annotations

from shared.contracts.lifecycle import LifecycleView
from workflows.family.deadlines import next_deadline
from workflows.family.state import PHASE_LABELS, FamilyState, Phase

WAITING_FOR: dict[Phase, str | None] = {
    Phase.REFERRAL: "apertura del expediente en planes",
    Phase.CONTACT: "localizar a la familia",
    Phase.INVITATION: "respuesta a la invitación",
    Phase.COMMITMENT: "firma de la carta de compromiso",
    Phase.DIAGNOSIS: "diagnóstico completado",
    Phase.PLAN: "firma del plan de intervención",
    Phase.ACCOMPANIMENT: "sesiones del mes",
    Phase.EVALUATION: "evaluación final",
    Phase.CLOSED: None,
}


def view(state: FamilyState) -> LifecycleView:
    deadline = next_deadline(state)
    waiting = WAITING_FOR[state.phase]
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
