"""Writing events to the outbox inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import column, insert, table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.envelope import Envelope, EventData
from shared.db.bulk import COPY_THRESHOLD, copy_rows

# A lightweight handle on the table every service declares through `OutboxMixin`.
outbox_table = table(
    "outbox",
    column("id"),
    column("subject"),
    column("payload", JSONB),
    column("published_at"),
)


def outbox_row(envelope: Envelope) -> dict[str, Any]:
    return {
        "id": envelope.event_id,
        "subject": envelope.subject,
        "payload": envelope.model_dump(mode="json"),
    }


async def add_events(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Stage events in the current transaction; they reach the bus only if it commits."""
    if len(envelopes) >= COPY_THRESHOLD:
        await copy_rows(
            session,
            "outbox",
            [outbox_row(e) for e in envelopes],
            json_columns=frozenset({"payload"}),
        )
    elif envelopes:
        await session.execute(insert(outbox_table), [outbox_row(e) for e in envelopes])


async def add_event(
    session: AsyncSession,
    payload: EventData,
    *,
    producer: str,
    actor: str | None = None,
    family_id: UUID | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    envelope = Envelope.wrap(
        payload, producer=producer, actor=actor, family_id=family_id, occurred_at=occurred_at
    )
    await add_events(session, [envelope])
    return envelope
