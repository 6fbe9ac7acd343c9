"""SQL of the intervention plan: its revisions, the signed one, who has one."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import Plan


async def revisions(session: AsyncSession, family_id: UUID) -> Sequence[Plan]:
    return (
        await session.scalars(
            select(Plan).where(Plan.family_id == family_id).order_by(Plan.revision)
        )
    ).all()


async def last_signed(session: AsyncSession, family_id: UUID) -> Plan | None:
    return await session.scalar(
        select(Plan)
        .where(Plan.family_id == family_id, Plan.status == "firmado")
        .order_by(Plan.revision.desc())
        .limit(1)
    )


async def families_with_signed_plan(session: AsyncSession, family_ids: Sequence[UUID]) -> set[UUID]:
    return set(
        await session.scalars(
            select(Plan.family_id).where(Plan.family_id.in_(family_ids), Plan.status == "firmado")
        )
    )


async def reload_goals(session: AsyncSession, plan: Plan) -> None:
    """Read the goals back in their order after replacing them."""
    await session.refresh(plan, ["goals"])
