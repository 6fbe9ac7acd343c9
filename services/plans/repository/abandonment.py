"""SQL of the abandonment procedure's documents."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import AbandonmentRecord


async def records_of(session: AsyncSession, family_id: UUID) -> Sequence[AbandonmentRecord]:
    return (
        await session.scalars(
            select(AbandonmentRecord)
            .where(AbandonmentRecord.family_id == family_id)
            .order_by(AbandonmentRecord.dated, AbandonmentRecord.created_at)
        )
    ).all()


async def kinds_filed(session: AsyncSession, family_ids: Sequence[UUID]) -> dict[UUID, set[str]]:
    """The kinds of document filed so far, per family."""
    rows = await session.execute(
        select(AbandonmentRecord.family_id, func.array_agg(AbandonmentRecord.kind))
        .where(AbandonmentRecord.family_id.in_(family_ids))
        .group_by(AbandonmentRecord.family_id)
    )
    return {family: set(kinds) for family, kinds in rows}
