"""SQL of the diagnosis: one per family."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import Diagnosis


async def get_diagnosis(
    session: AsyncSession, family_id: UUID, *, lock: bool = False
) -> Diagnosis | None:
    """With `lock`, the row is locked and re-read: an edit sees the last saved version."""
    query = select(Diagnosis).where(Diagnosis.family_id == family_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def diagnoses_of(session: AsyncSession, family_ids: Sequence[UUID]) -> Sequence[Diagnosis]:
    return (
        await session.scalars(select(Diagnosis).where(Diagnosis.family_id.in_(family_ids)))
    ).all()
