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
    await session.execute(
        update(Batch)
        .where(Batch.id == batch_id, Batch.state == "built")
        .values(state="submitted", receipt=receipt, submitted_at=func.now())
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
