"""SQL of the Matriz de Bienestar: its active dimensions and indicators, in their order."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import Dimension, Indicator


async def active_dimensions(session: AsyncSession) -> Sequence[Dimension]:
    return (
        await session.scalars(
            select(Dimension).where(Dimension.active.is_(True)).order_by(Dimension.position)
        )
    ).all()


async def active_indicators(session: AsyncSession) -> Sequence[Indicator]:
    return (
        await session.scalars(
            select(Indicator).where(Indicator.active.is_(True)).order_by(Indicator.position)
        )
    ).all()
