"""Families whose payments are suspended."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import PaymentHold


async def get(session: AsyncSession, family_id: UUID) -> PaymentHold | None:
    return await session.get(PaymentHold, family_id)


async def upsert(session: AsyncSession, family_id: UUID, *, reason: str, actor: str) -> None:
    await session.execute(
        insert(PaymentHold)
        .values(family_id=family_id, reason=reason, actor=actor)
        .on_conflict_do_update(
            index_elements=[PaymentHold.family_id], set_={"reason": reason, "actor": actor}
        )
    )


async def remove(session: AsyncSession, family_id: UUID) -> None:
    await session.execute(delete(PaymentHold).where(PaymentHold.family_id == family_id))


async def held_among(session: AsyncSession, families: Collection[UUID]) -> set[UUID]:
    return set(
        await session.scalars(
            select(PaymentHold.family_id).where(PaymentHold.family_id.in_(families))
        )
    )
