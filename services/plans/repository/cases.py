"""SQL of the case file: one family's case, and the cases a professional accompanies."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import Case


async def get_case(session: AsyncSession, family_id: UUID, *, lock: bool = False) -> Case | None:
    return await session.get(Case, family_id, with_for_update=lock)


async def accompanied_by(session: AsyncSession, professional: UUID) -> Sequence[Case]:
    """Cases in accompaniment (committed, not exited) assigned to `professional`."""
    return (
        await session.scalars(
            select(Case).where(
                Case.apoyo_familiar_id == professional,
                Case.exited_on.is_(None),
                Case.committed_on.is_not(None),
            )
        )
    ).all()
