"""The monthly cycles, their batches and the transfer lines in them.

Batches are built with one set-based statement each (`BUILD_LINES`): at 150,000 orders a
row-per-object ORM loop would dominate the cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import Batch, BatchLine, PaymentCycle
from services.payments.repository.records import TransferLine

BUILD_LINES = text(
    """
    WITH picked AS (
        SELECT o.id FROM payment_orders o
        JOIN payees p ON p.family_id = o.family_id
        WHERE o.state = 'pending' AND o.period <= :period
          AND p.channel = :channel
          -- Money follows the bank's statement: an order with a settlement, or whose
          -- payment a person must still confirm, is never sent again.
          AND NOT EXISTS (
              SELECT 1 FROM batch_lines l
              WHERE l.order_id = o.id AND l.status IN ('settled', 'claimed', 'disputed')
          )
          AND NOT EXISTS (
              SELECT 1 FROM payment_issues i
              WHERE i.order_id = o.id AND i.resolved_at IS NULL
                AND i.kind IN ('cargo_tras_rechazo', 'rechazo_tras_cargo', 'segundo_cargo')
          )
        ORDER BY o.period, o.id
        LIMIT :size
        FOR UPDATE OF o SKIP LOCKED
    ), moved AS (
        UPDATE payment_orders o
        SET state = 'in_batch', attempts = o.attempts + 1, updated_at = now()
        FROM picked WHERE o.id = picked.id
        RETURNING o.id, o.family_id, o.period, o.concept, o.amount, o.attempts
    )
    INSERT INTO batch_lines (
        id, batch_id, order_id, family_id, period, concept, end_to_end_id, amount, channel,
        run, name, bank_code, account_kind, account_number, status, created_at, updated_at
    )
    SELECT gen_random_uuid(), :batch_id, m.id, m.family_id, m.period, m.concept,
           replace(m.id::text, '-', '') || '-' || m.attempts, m.amount, p.channel,
           p.run, p.name, p.bank_code, p.account_kind, p.account_number,
           CASE WHEN p.channel = 'presencial' THEN 'available' ELSE 'sent' END, now(), now()
    FROM moved m JOIN payees p ON p.family_id = m.family_id
    RETURNING amount
    """
)

LINES_IN_STATUS = text(
    "SELECT l.family_id, l.period, l.concept, l.amount, l.reason_text, "
    "l.end_to_end_id, l.channel FROM batch_lines l "
    "JOIN batches b ON b.id = l.batch_id "
    "WHERE b.cycle_period = :period AND l.status = :status "
    "ORDER BY l.reason_text NULLS LAST, l.family_id LIMIT :limit"
)
LINES_BY_STATUS_AND_REASON = text(
    "SELECT l.status, coalesce(l.reason_text, ''), count(*), sum(l.amount) "
    "FROM batch_lines l JOIN batches b ON b.id = l.batch_id "
    "WHERE b.cycle_period = :period GROUP BY 1, 2"
)
PENDING_WITHOUT_PAYEE = text(
    "SELECT count(*) FROM payment_orders o WHERE o.state = 'pending' "
    "AND o.period <= :period "
    "AND NOT EXISTS (SELECT 1 FROM payees p WHERE p.family_id = o.family_id)"
)
BANK_PROBLEMS_SINCE = text(
    "SELECT problems FROM bank_messages m WHERE problems IS NOT NULL "
    "AND applied_at >= :since ORDER BY cursor"
)


async def open_once(session: AsyncSession, period: date) -> None:
    await session.execute(insert(PaymentCycle).values(period=period).on_conflict_do_nothing())


async def get(session: AsyncSession, period: date) -> PaymentCycle | None:
    return await session.get(PaymentCycle, period)


async def close(session: AsyncSession, period: date) -> None:
    await session.execute(
        update(PaymentCycle)
        .where(PaymentCycle.period == period, PaymentCycle.closed_at.is_(None))
        .values(closed_at=func.now())
    )


async def pending_without_payee(session: AsyncSession, period: date) -> int:
    return int((await session.execute(PENDING_WITHOUT_PAYEE, {"period": period})).scalar_one())


async def add_batch(
    session: AsyncSession, batch_id: UUID, period: date, message_id: str, channel: str
) -> None:
    """An empty batch, filled by `fill_batch` in the same transaction."""
    await session.execute(
        insert(Batch).values(
            id=batch_id,
            cycle_period=period,
            message_id=message_id,
            channel=channel,
            count=0,
            control_sum=0,
            state="built",
        )
    )


async def fill_batch(
    session: AsyncSession, batch_id: UUID, period: date, channel: str, size: int
) -> Sequence[int]:
    """Up to `size` pending orders of the channel into the batch; returns their amounts."""
    return (
        (
            await session.execute(
                BUILD_LINES,
                {"period": period, "channel": channel, "size": size, "batch_id": batch_id},
            )
        )
        .scalars()
        .all()
    )


async def drop_batch(session: AsyncSession, batch_id: UUID) -> None:
    await session.execute(text("DELETE FROM batches WHERE id = :id"), {"id": batch_id})


async def set_batch_totals(
    session: AsyncSession, batch_id: UUID, count: int, control_sum: int
) -> None:
    await session.execute(
        update(Batch).where(Batch.id == batch_id).values(count=count, control_sum=control_sum)
    )


async def unsent_batches(session: AsyncSession, period: date) -> Sequence[Batch]:
    return (
        await session.scalars(
            select(Batch).where(Batch.cycle_period == period, Batch.state == "built")
        )
    ).all()


async def unsent_batch_ids(session: AsyncSession, up_to: date) -> Sequence[UUID]:
    """Batches built and never queued for the bank, of every cycle up to `up_to`."""
    return (
        await session.scalars(
            select(Batch.id)
            .where(Batch.state == "built", Batch.cycle_period <= up_to)
            .order_by(Batch.seq)
        )
    ).all()


async def queue_batch(session: AsyncSession, batch_id: UUID) -> None:
    """The cycle asked for the batch to be sent: the submitter takes it from here."""
    await session.execute(
        update(Batch)
        .where(Batch.id == batch_id, Batch.state == "built")
        .values(state="queued", queued_at=func.now(), next_attempt_at=None)
    )


CLAIM_DUE = text(
    """
    UPDATE batches SET next_attempt_at = now() + make_interval(secs => :lease),
        submit_attempts = submit_attempts + 1
    WHERE id IN (
        SELECT id FROM batches
        WHERE state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= now())
        ORDER BY seq LIMIT :n
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, submit_attempts
    """
)


async def claim_due(
    session: AsyncSession, n: int, lease_seconds: float
) -> Sequence[tuple[UUID, int]]:
    """Up to `n` queued batches whose turn it is, leased to this submitter for
    `lease_seconds` (another replica takes them if this one dies); (id, attempt)."""
    rows = await session.execute(CLAIM_DUE, {"n": n, "lease": lease_seconds})
    return [(batch_id, int(attempt)) for batch_id, attempt in rows.all()]


async def retry_later(session: AsyncSession, batch_id: UUID, seconds: float, error: str) -> None:
    await session.execute(
        text(
            "UPDATE batches SET next_attempt_at = now() + make_interval(secs => :s), "
            "last_error = :e WHERE id = :id AND state = 'queued'"
        ),
        {"id": batch_id, "s": seconds, "e": error[:300]},
    )


BATCH_STATES = text(
    "SELECT state, count(*) FROM batches WHERE cycle_period <= :period "
    "AND (state IN ('built', 'queued') OR cycle_period = :period) GROUP BY state"
)


async def batch_states(session: AsyncSession, period: date) -> dict[str, int]:
    """Batches by state: the unsent and queued of every cycle up to `period`, the rest of
    `period`'s."""
    rows = await session.execute(BATCH_STATES, {"period": period})
    return {state: int(count) for state, count in rows.all()}


STRANDED = """
    SELECT count(*) FROM batch_lines l JOIN batches b ON b.id = l.batch_id
    WHERE b.state IN ('built', 'queued') AND b.created_at <= now() - make_interval(secs => :age)
"""
OVERDUE_IN_FLIGHT = """
    SELECT count(*) FROM batch_lines l JOIN batches b ON b.id = l.batch_id
    WHERE l.status IN ('sent', 'accepted') AND b.state = 'submitted'
      AND b.submitted_at <= now() - make_interval(secs => :age)
"""
OF_CYCLES_UP_TO = " AND b.cycle_period <= :period"
OF_MONTH = " AND l.period = :period"


async def stranded_orders(
    session: AsyncSession, period: date, *, older_than_seconds: float, of_month: bool = False
) -> int:
    """Orders in batches built (or queued) and not accepted by the bank for longer than the
    bound: of the cycles up to `period`, or (`of_month`) the orders of that month."""
    statement = STRANDED + (OF_MONTH if of_month else OF_CYCLES_UP_TO)
    found = await session.execute(text(statement), {"period": period, "age": older_than_seconds})
    return int(found.scalar_one())


async def overdue_in_flight(
    session: AsyncSession, period: date, *, older_than_seconds: float, of_month: bool = False
) -> int:
    """Transfers the bank received and has not answered for longer than the bound."""
    statement = OVERDUE_IN_FLIGHT + (OF_MONTH if of_month else OF_CYCLES_UP_TO)
    found = await session.execute(text(statement), {"period": period, "age": older_than_seconds})
    return int(found.scalar_one())


async def get_batch(session: AsyncSession, batch_id: UUID, *, lock: bool = False) -> Batch | None:
    return await session.get(Batch, batch_id, with_for_update=lock)


async def batch_lines(session: AsyncSession, batch_id: UUID) -> list[BatchLine]:
    return list(
        (
            await session.execute(
                select(BatchLine)
                .where(BatchLine.batch_id == batch_id)
                .order_by(BatchLine.end_to_end_id)
            )
        ).scalars()
    )


async def mark_submitted(session: AsyncSession, batch_id: UUID, receipt: str | None) -> None:
    """The bank has the file (a refusal already applied is never overwritten; a file the
    bank answered before its receipt came gets the receipt now)."""
    await session.execute(
        update(Batch)
        .where(
            Batch.id == batch_id,
            Batch.state.in_(("built", "queued"))
            | ((Batch.state == "submitted") & Batch.receipt.is_(None)),
        )
        .values(
            state="submitted",
            receipt=receipt,
            submitted_at=func.coalesce(Batch.submitted_at, func.now()),
            last_error=None,
        )
    )


async def batch_count(session: AsyncSession, period: date) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Batch).where(Batch.cycle_period == period)
    )
    return int(count or 0)


async def lines_by_status_and_reason(session: AsyncSession, period: date) -> Sequence[Any]:
    """(status, reason or '', count, amount) of the cycle's lines."""
    return (await session.execute(LINES_BY_STATUS_AND_REASON, {"period": period})).all()


async def bank_problems_since(session: AsyncSession, since: datetime) -> Sequence[str | None]:
    return (await session.execute(BANK_PROBLEMS_SINCE, {"since": since})).scalars().all()


async def lines_in_status(
    session: AsyncSession, period: date, status: str, limit: int
) -> Sequence[TransferLine]:
    """The cycle's transfer lines in one status (family_id, period, concept, amount,
    reason_text, end_to_end_id, channel), rejections grouped by reason."""
    return (
        await session.execute(LINES_IN_STATUS, {"period": period, "status": status, "limit": limit})
    ).all()
