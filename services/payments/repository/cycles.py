"""The monthly cycles, their batches and the transfer lines in them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

LINES_IN_STATUS = text(
    "SELECT l.family_id, l.period, l.concept, l.amount, l.reason_text, "
    "l.end_to_end_id, l.channel FROM batch_lines l "
    "JOIN batches b ON b.id = l.batch_id "
    "WHERE b.cycle_period = :period AND l.status = :status "
    "ORDER BY l.reason_text NULLS LAST, l.family_id LIMIT :limit"
)


async def lines_in_status(
    session: AsyncSession, period: date, status: str, limit: int
) -> Sequence[Any]:
    """The cycle's transfer lines in one status (family_id, period, concept, amount,
    reason_text, end_to_end_id, channel), rejections grouped by reason."""
    return (
        await session.execute(LINES_IN_STATUS, {"period": period, "status": status, "limit": limit})
    ).all()
