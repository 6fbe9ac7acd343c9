"""SQL on the unit's staff and their caseloads, and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.caseload import Capacity
from services.intake.models import Family, Staff

AFI_ROLE = "apoyo_familiar"


async def get_staff(session: AsyncSession, staff_id: UUID) -> Staff | None:
    return await session.get(Staff, staff_id)


async def run_taken(session: AsyncSession, run: str) -> bool:
    return await session.scalar(select(Staff.id).where(Staff.run == run)) is not None


async def with_active_families(
    session: AsyncSession, comuna: str | None
) -> list[tuple[Staff, int]]:
    """The staff (of a comuna, or all) with how many active families each carries."""
    load = (
        select(Family.apoyo_familiar_id, func.count().label("active"))
        .where(Family.status == "active")
        .group_by(Family.apoyo_familiar_id)
        .subquery()
    )
    query = (
        select(Staff, func.coalesce(load.c.active, 0))
        .outerjoin(load, load.c.apoyo_familiar_id == Staff.id)
        .order_by(Staff.role, Staff.full_name)
    )
    if comuna is not None:
        query = query.where(Staff.comuna == comuna)
    return [(member, int(active)) for member, active in await session.execute(query)]


async def caseload_capacities(
    session: AsyncSession, comuna: str, default_limit: int
) -> list[Capacity]:
    """Every active Apoyo Familiar of the comuna with the active families they carry now."""
    load = (
        select(Family.apoyo_familiar_id, func.count().label("active"))
        .where(Family.status == "active", Family.apoyo_familiar_id.is_not(None))
        .group_by(Family.apoyo_familiar_id)
        .subquery()
    )
    rows = await session.execute(
        select(Staff.id, Staff.max_active_families, func.coalesce(load.c.active, 0))
        .outerjoin(load, load.c.apoyo_familiar_id == Staff.id)
        .where(Staff.role == AFI_ROLE, Staff.active.is_(True), Staff.comuna == comuna)
        .order_by(Staff.created_at, Staff.id)
    )
    return [
        Capacity(staff_id=staff_id, active=active, limit=limit or default_limit)
        for staff_id, limit, active in rows
    ]


async def names(session: AsyncSession, staff_ids: Sequence[UUID]) -> dict[UUID, str]:
    rows = await session.execute(select(Staff.id, Staff.full_name).where(Staff.id.in_(staff_ids)))
    return {staff_id: name for staff_id, name in rows}
