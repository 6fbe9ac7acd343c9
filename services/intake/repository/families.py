"""Intake's SQL, and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import Family, Member


async def get_family(session: AsyncSession, family_id: UUID) -> Family | None:
    return await session.get(Family, family_id)


async def find_by_code(
    session: AsyncSession, comuna: str, cohort_year: int, family_code: str
) -> Family | None:
    return await session.scalar(
        select(Family).where(
            Family.comuna == comuna,
            Family.cohort_year == cohort_year,
            Family.family_code == family_code,
        )
    )


async def families_with_member(session: AsyncSession, run: str) -> Sequence[Family]:
    return (
        await session.scalars(
            select(Family)
            .join(Member, Member.family_id == Family.id)
            .where(Member.run == run)
            .order_by(Family.created_at.desc())
        )
    ).all()


async def active_families_of(session: AsyncSession, runs: Sequence[str]) -> dict[str, Family]:
    rows = await session.execute(
        select(Member.run, Family)
        .join(Family, Member.family_id == Family.id)
        .where(Member.run.in_(runs), Family.status == "active")
    )
    return {run: family for run, family in rows}
