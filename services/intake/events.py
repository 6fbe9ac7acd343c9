"""What intake tells the others about a family, in the caller's transaction.

An event goes to the outbox and reaches the bus only if the transaction commits; a fact
someone recorded is audited beside its event (`record_fact`). Each event names its family,
and its envelope carries that family's id.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

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
from shared.db.audit import record_audit
from shared.db.outbox import add_events

PRODUCER = "intake"

FamilyEvent = (
    FamilyReferred
    | FamilyUpdated
    | FamilyAssigned
    | RepresentativeChanged
    | FamilyContacted
    | FamilyInvited
    | FamilyCommitted
    | FamilyMoved
)


def envelope(event: FamilyEvent, *, actor: str) -> Envelope:
    """An event to stage with others in one write (`add_events`)."""
    return Envelope.wrap(event, producer=PRODUCER, actor=actor, family_id=event.family_id)


async def announce(session: AsyncSession, event: FamilyEvent, *, actor: str) -> None:
    await add_events(session, [envelope(event, actor=actor)])


async def audit_family(
    session: AsyncSession, family_id: UUID, *, actor: str, action: str, **details: Any
) -> None:
    await record_audit(
        session, actor=actor, action=action, entity="family", entity_id=family_id, **details
    )


async def record_fact(
    session: AsyncSession, event: FamilyEvent, *, actor: str, action: str, **details: Any
) -> None:
    """The event and its audit entry: what every fact recorded about a family leaves."""
    await announce(session, event, actor=actor)
    await audit_family(session, event.family_id, actor=actor, action=action, **details)
