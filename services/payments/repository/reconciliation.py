"""The bank's messages as payments applies them: the cursor, each message once, and the
set-based updates of the lines they answer (one statement per kind, not one per line)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.bank import BankMessage
from services.payments.models import BankCursor, BankMessageRecord, Batch
from services.payments.repository.records import (
    DebitedLine,
    LineState,
    RejectedLine,
    SettledLine,
)

# A rejected transfer's order goes back to be paid again only if it is still waiting on
# this transfer (`in_batch`) and nothing paid it: a rejection never undoes a payment.
REJECT_LINES = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:reasons AS text[]), CAST(:codes AS text[]))
            AS t(e2e, reason, code)
    ), hit AS (
        UPDATE batch_lines l
        SET status = 'rejected', reason_code = i.code, reason_text = i.reason, updated_at = now()
        FROM incoming i
        WHERE l.end_to_end_id = i.e2e AND l.batch_id = :batch_id
          AND l.status IN ('sent', 'accepted')
        RETURNING l.order_id, l.family_id, l.period, l.concept, l.amount, l.reason_text,
                  l.reason_code
    ), back AS (
        UPDATE payment_orders o SET state = 'pending', updated_at = now()
        FROM hit WHERE o.id = hit.order_id AND o.state = 'in_batch'
          AND NOT EXISTS (
              SELECT 1 FROM batch_lines p
              WHERE p.order_id = o.id AND p.status IN ('settled', 'claimed')
          )
        RETURNING o.id
    )
    SELECT hit.* FROM hit
    """
)

# Lines the bank rejects although it debited them before (the statement stands).
SETTLED_AMONG = text(
    "SELECT id, order_id, family_id, period, concept, amount, end_to_end_id, bank_reference, "
    "batch_id FROM batch_lines WHERE batch_id = :batch_id AND status = 'settled' "
    "AND end_to_end_id = ANY(CAST(:ids AS text[]))"
)

ANSWERED_LINES = text(
    "SELECT count(*) FROM batch_lines WHERE batch_id = :batch_id "
    "AND status IN ('accepted', 'settled', 'disputed')"
)

REFUSE_BATCH = text("UPDATE batches SET state = 'refused' WHERE id = :batch_id")

# The bank answers about a file: it has it, even if the upload's own answer was lost.
RECEIVED = text(
    "UPDATE batches SET state = 'submitted', submitted_at = coalesce(submitted_at, now()) "
    "WHERE id = :batch_id AND state IN ('built', 'queued')"
)

ACCEPT_LINES = text(
    "UPDATE batch_lines SET status = 'accepted', updated_at = now() "
    "WHERE batch_id = :batch_id AND status = 'sent' AND end_to_end_id = ANY(CAST(:ids AS text[]))"
)

COUNT_REJECTS = text(
    """
    UPDATE payees p SET rejects_in_row = p.rejects_in_row + t.n,
        channel = CASE WHEN p.rejects_in_row + t.n >= :max THEN 'presencial' ELSE p.channel END
    FROM (
        SELECT f AS family_id, count(*) AS n
        FROM unnest(CAST(:families AS uuid[])) f GROUP BY f
    ) t
    WHERE p.family_id = t.family_id
    RETURNING p.family_id, p.channel
    """
)

# A debit settles the transfer it names — in flight, or rejected before (the statement is
# the truth about money that left) — and its order, unless the order was paid already: at
# most one line per order (the first sent) in one statement; the rest are second debits.
# A rejected line that has a bank reference had its debit given back: never again.
SETTLE_LINES = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:amounts AS bigint[]),
                             CAST(:refs AS text[]), CAST(:days AS date[]))
            AS t(e2e, amount, ref, day)
    ), chosen AS (
        SELECT DISTINCT ON (l.order_id) l.id, l.status AS was, l.reason_text AS was_reason,
               i.ref, i.day
        FROM batch_lines l JOIN incoming i ON l.end_to_end_id = i.e2e AND l.amount = i.amount
        WHERE l.status IN ('sent', 'accepted', 'rejected') AND l.bank_reference IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM batch_lines p
              WHERE p.order_id = l.order_id AND p.status IN ('settled', 'claimed')
          )
        ORDER BY l.order_id, l.created_at, l.end_to_end_id
    ), hit AS (
        UPDATE batch_lines l
        SET status = 'settled', bank_reference = c.ref, settled_on = c.day, updated_at = now()
        FROM chosen c
        WHERE l.id = c.id
        RETURNING l.id, l.order_id, l.family_id, l.period, l.concept, l.amount,
                  l.bank_reference, l.end_to_end_id, l.batch_id
    ), paid AS (
        UPDATE payment_orders o SET state = 'settled', updated_at = now()
        FROM hit WHERE o.id = hit.order_id
        RETURNING o.id
    ), reset AS (
        UPDATE payees p SET rejects_in_row = 0
        WHERE p.family_id IN (SELECT family_id FROM hit) AND p.rejects_in_row > 0
    )
    SELECT hit.*, c.was, c.was_reason FROM hit JOIN chosen c ON c.id = hit.id
    """
)

LINE_BY_END_TO_END_ID = text(
    "SELECT l.id, l.order_id, l.family_id, l.period, l.concept, l.status, l.amount, "
    "l.bank_reference, l.end_to_end_id, l.batch_id, EXISTS ("
    "  SELECT 1 FROM batch_lines p WHERE p.order_id = l.order_id AND p.id <> l.id"
    "  AND p.status IN ('settled', 'claimed')) AS order_paid "
    "FROM batch_lines l WHERE l.end_to_end_id = :e"
)

DISPUTE_LINE = text(
    "UPDATE batch_lines SET status = 'disputed', bank_reference = :ref, settled_on = :day, "
    "updated_at = now() WHERE id = :id"
)


async def cursor(session: AsyncSession, *, lock: bool = False) -> int | None:
    """How far the bank's messages have been read (None before the first one)."""
    statement = select(BankCursor.last_cursor).where(BankCursor.id == 1)
    found: int | None = await session.scalar(statement.with_for_update() if lock else statement)
    return found


async def ensure_cursor(session: AsyncSession) -> None:
    await session.execute(insert(BankCursor).values(id=1, last_cursor=0).on_conflict_do_nothing())


async def move_cursor(session: AsyncSession, to: int) -> None:
    await session.execute(text("UPDATE bank_cursor SET last_cursor = :c WHERE id = 1"), {"c": to})


async def record_message(session: AsyncSession, message: BankMessage) -> bool:
    """Keep the message; False when its id was recorded before (a duplicate). An id or
    name longer than its column is kept shortened (an id with a digest of the whole, so
    it stays unique), never refused: the message must be recorded to be passed over."""
    recorded = await session.execute(
        insert(BankMessageRecord)
        .values(
            kind=message.kind,
            message_id=fitted(message.message_id, 60),
            cursor=message.cursor,
            file_name=message.file_name[:200],
            content=message.content,
        )
        .on_conflict_do_nothing()
        .returning(BankMessageRecord.message_id)
    )
    return recorded.first() is not None


def fitted(identifier: str, length: int) -> str:
    if len(identifier) <= length:
        return identifier
    digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:16]
    return f"{identifier[: length - 17]}~{digest}"


async def set_problems(session: AsyncSession, kind: str, message_id: str, problems: str) -> None:
    await session.execute(
        text("UPDATE bank_messages SET problems = :p WHERE kind = :k AND message_id = :m"),
        {"p": problems, "k": kind, "m": fitted(message_id, 60)},
    )


async def batch_by_message_id(session: AsyncSession, message_id: str) -> Batch | None:
    found: Batch | None = await session.scalar(select(Batch).where(Batch.message_id == message_id))
    return found


async def end_to_end_ids(session: AsyncSession, batch_id: UUID) -> Sequence[str]:
    return (
        (
            await session.execute(
                text("SELECT end_to_end_id FROM batch_lines WHERE batch_id = :b"),
                {"b": batch_id},
            )
        )
        .scalars()
        .all()
    )


async def accept_lines(session: AsyncSession, batch_id: UUID, ids: list[str]) -> None:
    await session.execute(ACCEPT_LINES, {"batch_id": batch_id, "ids": ids})


async def settled_among(
    session: AsyncSession, batch_id: UUID, ids: list[str]
) -> Sequence[SettledLine]:
    """The batch's lines among `ids` that a debit settled already."""
    return (await session.execute(SETTLED_AMONG, {"batch_id": batch_id, "ids": ids})).all()


async def answered_lines(session: AsyncSession, batch_id: UUID) -> int:
    """How many of the batch's transfers the bank accepted or debited."""
    return int((await session.execute(ANSWERED_LINES, {"batch_id": batch_id})).scalar_one())


async def mark_received(session: AsyncSession, batch_id: UUID) -> None:
    await session.execute(RECEIVED, {"batch_id": batch_id})


async def refuse_batch(session: AsyncSession, batch_id: UUID) -> None:
    await session.execute(REFUSE_BATCH, {"batch_id": batch_id})


async def dispute_line(session: AsyncSession, line_id: UUID, reference: str, day: date) -> None:
    """A second debit for an order paid by another line: kept on the line, for a person."""
    await session.execute(DISPUTE_LINE, {"id": line_id, "ref": reference, "day": day})


async def reject_lines(
    session: AsyncSession,
    batch_id: UUID,
    ids: list[str],
    reasons: list[str],
    codes: list[str | None],
) -> Sequence[RejectedLine]:
    """Reject the lines still in flight and send their orders back to pending; returns the
    rejected lines (order_id, family_id, period, concept, amount, reason_text)."""
    return (
        await session.execute(
            REJECT_LINES, {"batch_id": batch_id, "ids": ids, "reasons": reasons, "codes": codes}
        )
    ).all()


async def count_rejects(
    session: AsyncSession, families: list[UUID], max_rejects: int
) -> dict[UUID, str]:
    """Add each family's rejects to its payee's count (in-person from `max_rejects` in a
    row); returns every payee's channel now."""
    rows = await session.execute(COUNT_REJECTS, {"families": families, "max": max_rejects})
    return {family_id: channel for family_id, channel in rows.all()}


async def settle_lines(
    session: AsyncSession,
    ids: list[str],
    amounts: list[int],
    refs: list[str],
    days: list[date],
) -> Sequence[DebitedLine]:
    """Settle the lines debited (in flight, or rejected before) whose amount matches and
    whose order nothing paid yet, their orders too, and reset their payees' reject count;
    returns the settled lines with their status before."""
    return (
        await session.execute(
            SETTLE_LINES, {"ids": ids, "amounts": amounts, "refs": refs, "days": days}
        )
    ).all()


async def line_by_end_to_end_id(session: AsyncSession, end_to_end_id: str) -> LineState | None:
    """Where the line stands (and whether another line paid its order), or None."""
    return (await session.execute(LINE_BY_END_TO_END_ID, {"e": end_to_end_id})).first()
