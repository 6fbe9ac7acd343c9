"""Entitlements: what each family is owed, one row per family, month and concept."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import Entitlement


async def of_family(session: AsyncSession, family_id: UUID) -> Sequence[Entitlement]:
    return (
        await session.scalars(
            select(Entitlement)
            .where(Entitlement.family_id == family_id)
            .order_by(Entitlement.period)
        )
    ).all()


async def find(
    session: AsyncSession, family_id: UUID, period: date, concept: str
) -> Entitlement | None:
    found: Entitlement | None = await session.scalar(
        select(Entitlement).where(
            Entitlement.family_id == family_id,
            Entitlement.period == period,
            Entitlement.concept == concept,
        )
    )
    return found


async def concepts_in_month(
    session: AsyncSession, family_id: UUID, period: date, among: Collection[str]
) -> set[str]:
    return set(
        await session.scalars(
            select(Entitlement.concept).where(
                Entitlement.family_id == family_id,
                Entitlement.period == period,
                Entitlement.concept.in_(among),
            )
        )
    )
