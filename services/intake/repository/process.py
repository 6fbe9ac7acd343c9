"""SQL on a family's contact attempts, and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import ContactAttempt


async def count_contacts(session: AsyncSession, family_id: UUID) -> int:
    number = await session.scalar(
        select(func.count())
        .select_from(ContactAttempt)
        .where(ContactAttempt.family_id == family_id)
    )
    return int(number or 0)


async def contacts_of(session: AsyncSession, family_id: UUID) -> Sequence[ContactAttempt]:
    return (
        await session.scalars(
            select(ContactAttempt)
            .where(ContactAttempt.family_id == family_id)
            .order_by(ContactAttempt.attempted_on, ContactAttempt.created_at)
        )
    ).all()
