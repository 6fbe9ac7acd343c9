"""Consumers apply each event once (consistency rule 2): the inbox remembers what was applied."""

from __future__ import annotations

from sqlalchemy import column, table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.envelope import Envelope

inbox_table = table("inbox", column("consumer"), column("event_id"), column("subject"))


async def first_delivery(session: AsyncSession, consumer: str, envelope: Envelope) -> bool:
    """Record the event as applied, in the caller's transaction. False if it already was."""
    inserted = await session.execute(
        insert(inbox_table)
        .values(consumer=consumer, event_id=envelope.event_id, subject=envelope.subject)
        .on_conflict_do_nothing()
        .returning(inbox_table.c.event_id)
    )
    return inserted.first() is not None
