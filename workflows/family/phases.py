"""Phases (DOMAIN.md §2): `advance` moves the family as far as its recorded facts allow."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.lifecycle import EXIT_CAUSE_NAMES
from workflows.family.dates import add_months, local_day
from workflows.family.state import PHASE_LABELS, FamilyState, Phase
from workflows.family.timeline import record


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
    """Plan month 1 is the month after both the letter and the plan are signed (policy)."""
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


def move_to(state: FamilyState, phase: Phase, now: datetime) -> None:
    state.phase = phase
    state.phase_since = now
    record(state, now, "fase", f"Fase: {PHASE_LABELS[phase]}")


def exit_family(state: FamilyState, cause: str, now: datetime, *, actor: str = "sistema") -> None:
    state.exit_cause = cause
    state.exited_on = local_day(now)
    state.phase = Phase.CLOSED
    state.phase_since = now
    record(state, now, "egreso", f"Egreso: {EXIT_CAUSE_NAMES.get(cause, cause)}", actor=actor)
