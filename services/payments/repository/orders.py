"""Payment orders and their transfer attempts (batch lines), seen one family at a time."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select, update
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
