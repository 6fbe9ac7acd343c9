"""Plans' SQL, and nothing else."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import Case


async def get_case(session: AsyncSession, family_id: UUID) -> Case | None:
    return await session.get(Case, family_id)
