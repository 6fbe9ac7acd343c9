"""Bus subjects: `<owner>.<evt|cmd|qry>.v<major>.<aggregate>.<action>`, one stream per producer."""

from __future__ import annotations

from typing import Final


def stream_subjects(owner: str) -> list[str]:
    """Subjects captured by one producer's JetStream stream."""
    return [f"{owner}.evt.>"]


# intake
FAMILY_REFERRED: Final = "intake.evt.v1.family.referred"
FAMILY_ASSIGNED: Final = "intake.evt.v1.family.assigned"
FAMILY_CONTACTED: Final = "intake.evt.v1.family.contacted"
FAMILY_INVITED: Final = "intake.evt.v1.family.invited"
FAMILY_COMMITTED: Final = "intake.evt.v1.family.committed"
FAMILY_REPRESENTATIVE_CHANGED: Final = "intake.evt.v1.family.representative_changed"
FAMILY_UPDATED: Final = "intake.evt.v1.family.updated"
FAMILY_MOVED: Final = "intake.evt.v1.family.moved"
INTAKE_FAMILY_REPRESENTATIVE: Final = "intake.qry.v1.family.representative"
INTAKE_FAMILY_CLOSE: Final = "intake.cmd.v1.family.close"

# plans
CASE_OPEN: Final = "plans.cmd.v1.case.open"
DIAGNOSIS_COMPLETED: Final = "plans.evt.v1.diagnosis.completed"
PLAN_SIGNED: Final = "plans.evt.v1.plan.signed"
SESSION_RECORDED: Final = "plans.evt.v1.session.recorded"
EVALUATION_COMPLETED: Final = "plans.evt.v1.evaluation.completed"
ABANDONMENT_REPORTED: Final = "plans.evt.v1.abandonment.reported"
SESSIONS_IN_MONTH: Final = "plans.qry.v1.sessions.month"

# payments
ENTITLEMENT_REGISTER: Final = "payments.cmd.v1.entitlement.register"
ORDER_CREATED: Final = "payments.evt.v1.order.created"
TRANSFER_SETTLED: Final = "payments.evt.v1.transfer.settled"
TRANSFER_REJECTED: Final = "payments.evt.v1.transfer.rejected"
TRANSFER_EXPIRED: Final = "payments.evt.v1.transfer.expired"
# The payment cycle's steps (the PaymentCycle workflow's activities ask for them).
PAYMENTS_HOLD: Final = "payments.cmd.v1.family.hold"
CYCLE_OPEN: Final = "payments.cmd.v1.cycle.open"
CYCLE_BUILD: Final = "payments.cmd.v1.cycle.build"
BATCH_SUBMIT: Final = "payments.cmd.v1.batch.submit"
BATCHES_UNSENT: Final = "payments.qry.v1.batches.unsent"
BANK_POLL: Final = "payments.cmd.v1.bank.poll"
CYCLE_CLOSE: Final = "payments.cmd.v1.cycle.close"
CYCLE_PROGRESS: Final = "payments.qry.v1.cycle.progress"

# lifecycle (published by a workflow activity). A phase change is no event: it is the
# `Phase` search attribute and the `estado` query, where supervision reads it.
FAMILY_EXITED: Final = "lifecycle.evt.v1.family.exited"

# Subjects the bridge turns into signals to a family's workflow.
BRIDGED_STREAM_OWNERS: Final = ("intake", "plans", "payments")
# Events of those streams a family's workflow has nothing to do with (its own request's echo).
NOT_BRIDGED: Final = frozenset({ORDER_CREATED})
