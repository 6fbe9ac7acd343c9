"""The months of the accompaniment: each one begins, then closes with its sessions counted.

Two months in a row without a session (policy) open the abandonment procedure; the last
month's close moves the family to the final evaluation.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from workflows.family.dates import add_months, local_day
from workflows.family.phases import move_to
from workflows.family.state import Abandonment, FamilyState, Phase
from workflows.family.timeline import record


def current_period(state: FamilyState) -> date:
    """The calendar month (its first day) of the plan month under way."""
    assert state.first_month is not None
    return add_months(state.first_month, state.plan_month - 1)


def begin_month(state: FamilyState, now: datetime) -> None:
    state.plan_month += 1
    record(state, now, "mes", f"Inicio del mes {state.plan_month} del plan")


def close_month(state: FamilyState, counted_sessions: int, now: datetime) -> None:
    """The month just ended had `counted_sessions` sessions; the next one begins, if any."""
    month = state.plan_month
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
            open_abandonment(state, now)
    if month >= state.policy.plan_months:
        move_to(state, Phase.EVALUATION, now)
    else:
        begin_month(state, now)


def open_abandonment(state: FamilyState, now: datetime) -> None:
    today = local_day(now)
    state.abandonment = Abandonment(
        opened_on=today,
        reason=f"{state.months_without_session} meses seguidos sin sesiones",
        visit_due=today + timedelta(days=state.policy.abandonment_visit_days),
    )
    record(
        state,
        now,
        "abandono",
        f"Se abre el procedimiento de abandono ({state.abandonment.reason}): "
        f"visita domiciliaria documentada antes del {state.abandonment.visit_due:%d-%m-%Y}",
    )
