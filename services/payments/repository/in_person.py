"""In-person payments (cobro en caja): the batch lines a family collects at a counter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import BatchLine
from services.payments.repository.records import ClaimedLine, ExpiredOrder

CLAIM_LINE = text(
    "UPDATE batch_lines SET status = 'claimed', settled_on = :today, "
    "updated_at = now() WHERE end_to_end_id = :r AND status = 'available' "
    "RETURNING id, order_id, family_id, period, concept, amount"
)

EXPIRE_LINES = text(
    """
    WITH gone AS (
        UPDATE batch_lines SET status = 'expired', updated_at = now()
        WHERE status = 'available' AND period <= :limit
        RETURNING order_id, family_id, period, concept, amount
    )
    UPDATE payment_orders o SET state = 'expired', updated_at = now()
    FROM gone WHERE o.id = gone.order_id
    RETURNING o.id, gone.family_id, gone.period, gone.concept, gone.amount
    """
)


async def claim(session: AsyncSession, reference: str, today: date) -> ClaimedLine | None:
    """The available line with this reference, now claimed, settled `today` (id,
    order_id, family_id, period, concept, amount), or None when there is none available."""
    return (await session.execute(CLAIM_LINE, {"r": reference, "today": today})).first()


async def line_by_reference(session: AsyncSession, reference: str) -> BatchLine | None:
    found: BatchLine | None = await session.scalar(
        select(BatchLine).where(BatchLine.end_to_end_id == reference)
    )
    return found


async def expire_unclaimed(session: AsyncSession, up_to: date) -> Sequence[ExpiredOrder]:
    """Lines still available for months up to `up_to` expire with their orders; returns
    each expired order (id, family_id, period, concept, amount)."""
    return (await session.execute(EXPIRE_LINES, {"limit": up_to})).all()
