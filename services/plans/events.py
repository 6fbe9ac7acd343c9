"""Plans' events: each one enters the outbox in the transaction of the change it reports."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.plans import (
    AbandonmentReported,
    DiagnosisCompleted,
    EvaluationCompleted,
    PlanSigned,
    SessionRecorded,
)
from shared.db.audit import record_audit
from shared.db.outbox import add_event

PRODUCER = "plans"

PlansEvent = (
    DiagnosisCompleted | PlanSigned | SessionRecorded | EvaluationCompleted | AbandonmentReported
)


async def record_event(
    session: AsyncSession,
    event: PlansEvent,
    *,
    actor: str,
    audited_as: str | None = None,
    **audit_details: object,
) -> None:
    """Stage `event` for the family's stream; a decision also enters the audit log."""
    await add_event(session, event, producer=PRODUCER, actor=actor, family_id=event.family_id)
    if audited_as is not None:
        await record_audit(
            session,
            actor=actor,
            action=audited_as,
            entity="family",
            entity_id=event.family_id,
            **audit_details,
        )
