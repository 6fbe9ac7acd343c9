"""The families' recorded incomes (Bono Base Familiar)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import FamilyIncome


async def get(session: AsyncSession, family_id: UUID, *, lock: bool = False) -> FamilyIncome | None:
    return await session.get(FamilyIncome, family_id, with_for_update=lock)
