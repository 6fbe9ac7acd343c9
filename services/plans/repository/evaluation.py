"""SQL of the final evaluation: one per family."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import Evaluation


async def get_evaluation(session: AsyncSession, family_id: UUID) -> Evaluation | None:
    return await session.get(Evaluation, family_id)
