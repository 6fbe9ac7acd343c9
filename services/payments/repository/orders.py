"""Payment orders and their transfer attempts (batch lines), seen one family at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import BatchLine, PaymentOrder


async def of_family(session: AsyncSession, family_id: UUID) -> Sequence[PaymentOrder]:
    return (
        await session.scalars(
            select(PaymentOrder)
            .where(PaymentOrder.family_id == family_id)
            .order_by(PaymentOrder.period, PaymentOrder.concept)
        )
    ).all()


async def attempts_of_family(session: AsyncSession, family_id: UUID) -> Sequence[BatchLine]:
    return (
        await session.scalars(
            select(BatchLine).where(BatchLine.family_id == family_id).order_by(BatchLine.created_at)
        )
    ).all()


async def move_family_orders(
    session: AsyncSession, family_id: UUID, source: str, target: str
) -> int:
    """Every order of the family in state `source` goes to `target`; returns how many."""
    changed = await session.execute(
        update(PaymentOrder)
        .where(PaymentOrder.family_id == family_id, PaymentOrder.state == source)
        .values(state=target)
        .returning(PaymentOrder.id)
    )
    return len(changed.all())


async def mark_settled(session: AsyncSession, order_id: UUID) -> None:
    await session.execute(
        update(PaymentOrder).where(PaymentOrder.id == order_id).values(state="settled")
    )


async def waiting_up_to(session: AsyncSession, period: date) -> dict[str, tuple[int, int]]:
    """(count, amount) of the pending and held orders of months up to `period`, by state."""
    return await _totals_by_state(
        session, PaymentOrder.period <= period, PaymentOrder.state.in_(("pending", "held"))
    )


async def totals_of_month(session: AsyncSession, period: date) -> dict[str, tuple[int, int]]:
    """(count, amount) of the month's orders, by state."""
    return await _totals_by_state(session, PaymentOrder.period == period)


async def _totals_by_state(
    session: AsyncSession, *where: ColumnElement[bool]
) -> dict[str, tuple[int, int]]:
    rows = await session.execute(
        select(
            PaymentOrder.state,
            func.count(),
            func.coalesce(func.sum(PaymentOrder.amount), 0),
        )
        .where(*where)
        .group_by(PaymentOrder.state)
    )
    return {state: (int(count), int(amount)) for state, count, amount in rows.all()}
