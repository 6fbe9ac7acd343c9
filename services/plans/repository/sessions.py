"""SQL of the sessions held with a family."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID, uuid4

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import Session


async def insert_unless_recorded(
    session: AsyncSession,
    *,
    family_id: UUID,
    held_on: date,
    kind: str,
    dimensions: list[str],
    goal_ids: list[str],
    attendee_ids: list[str],
    attendance: str,
    notes: str | None,
    professional: str,
) -> Session | None:
    """The new session, or None when the same one (family, day, kind, professional) exists.

    One round trip: insert, or nothing when the same session is already recorded.
    """
    return await session.scalar(
        insert(Session)
        .values(
            id=uuid4(),
            family_id=family_id,
            held_on=held_on,
            kind=kind,
            dimensions=dimensions,
            goal_ids=goal_ids,
            attendee_ids=attendee_ids,
            attendance=attendance,
            notes=notes,
            professional=professional,
        )
        .on_conflict_do_nothing(index_elements=["family_id", "held_on", "kind", "professional"])
        .returning(Session)
    )


async def find_session(
    session: AsyncSession, family_id: UUID, held_on: date, kind: str, professional: str
) -> Session | None:
    return await session.scalar(
        select(Session).where(
            Session.family_id == family_id,
            Session.held_on == held_on,
            Session.kind == kind,
            Session.professional == professional,
        )
    )


async def held_before(
    session: AsyncSession, family_id: UUID, before: date
) -> Sequence[Row[date, str, str]]:
    """Day, kind and attendance of every session held before `before`."""
    return (
        await session.execute(
            select(Session.held_on, Session.kind, Session.attendance).where(
                Session.family_id == family_id, Session.held_on < before
            )
        )
    ).all()


async def sessions_of(
    session: AsyncSession, family_id: UUID, *, since: date | None = None, before: date | None = None
) -> Sequence[Session]:
    query = select(Session).where(Session.family_id == family_id)
    if since is not None:
        query = query.where(Session.held_on >= since)
    if before is not None:
        query = query.where(Session.held_on < before)
    return (await session.scalars(query.order_by(Session.held_on, Session.created_at))).all()


async def families_attended_since(
    session: AsyncSession, family_ids: Sequence[UUID], since: date
) -> set[UUID]:
    return set(
        await session.scalars(
            select(Session.family_id).where(
                Session.family_id.in_(family_ids),
                Session.held_on >= since,
                Session.attendance == "asistio",
            )
        )
    )
