"""When the workflow must act by itself, and what happens when that moment passes.

Each waiting phase has a deadline from its facts and the family's pinned policy: the
contact deadline, a reminder then an escalation for a late diagnosis, plan or evaluation,
the next month boundary of the accompaniment and the abandonment visit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel

from workflows.family.dates import add_months, start_of
from workflows.family.phases import exit_family
from workflows.family.state import FamilyState, Phase
from workflows.family.timeline import record


class Deadline(BaseModel):
    key: str
    due: datetime
    label: str

    @property
    def ends_a_month(self) -> bool:
        """A month boundary of the accompaniment (closed with `months.close_month`)."""
        return self.key.startswith("mes:")


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


def deadline_passed(state: FamilyState, deadline: Deadline, now: datetime) -> None:
    """Apply a passed deadline: the exit, a reminder or an escalation, in the timeline.

    Month boundaries are not handled here: closing a month needs the session count, which
    the workflow asks plans for (see `months.close_month`).
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
    elif deadline.key == "abandono:visita":
        assert state.abandonment is not None
        state.abandonment.escalated = True
        record(
            state,
            now,
            "escalamiento",
            "Venció el plazo de la visita domiciliaria por abandono: se informa al Jefe/a de "
            "Unidad",
        )
    elif deadline.key.endswith(":recordatorio"):
        state.notices.append(deadline.key)
        record(state, now, "recordatorio", f"Recordatorio: venció el plazo para {deadline.label}")
    else:
        state.notices.append(deadline.key)
        record(
            state,
            now,
            "escalamiento",
            f"Escalamiento al Jefe/a de Unidad: sigue pendiente {deadline.label}",
        )
