"""Intake's counts for the statistics, each one SQL aggregate (COUNT … FILTER, GROUP BY)
over the facts' own dates. The comuna is the family's current one."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import ContactAttempt, Family, Member
from shared.contracts.statistics import Coverage, IntakeEntries, IntakeStages
from shared.statistics import between, in_comuna


class ContactTally(NamedTuple):
    attempts: int
    families: int


class MonthEnd(NamedTuple):
    """Families present at the month's end, by step, and those overdue for contact."""

    contact: int
    invitation: int
    commitment: int
    committed: int
    contact_overdue: int


async def stages(
    session: AsyncSession, first: date, last: date, comuna: str | None
) -> IntakeStages:
    invited = between(Family.invited_on, first, last)
    row = (
        await session.execute(
            select(
                func.count().filter(between(Family.referred_on, first, last)).label("referred"),
                func.count().filter(between(Family.located_on, first, last)).label("located"),
                func.count().filter(invited).label("invited"),
                func.count()
                .filter(invited, Family.invitation_accepted.is_(True))
                .label("accepted"),
                func.count()
                .filter(invited, Family.invitation_accepted.is_(False))
                .label("declined"),
                func.count().filter(between(Family.committed_on, first, last)).label("committed"),
            ).where(*in_comuna(Family.comuna, comuna))
        )
    ).one()
    return IntakeStages.model_validate(row._asdict())


async def coverage(session: AsyncSession, first: date, last: date, comuna: str | None) -> Coverage:
    """Families in the programme some time of the period (signed, not yet out), and members."""
    row = (
        await session.execute(
            select(
                func.count(func.distinct(Family.id)).label("families"),
                func.count(Member.id).label("persons"),
            )
            .select_from(Family)
            .outerjoin(Member, Member.family_id == Family.id)
            .where(
                Family.committed_on <= last,
                or_(Family.exited_on.is_(None), Family.exited_on >= first),
                *in_comuna(Family.comuna, comuna),
            )
        )
    ).one()
    return Coverage.model_validate(row._asdict())


async def contact_attempts(
    session: AsyncSession, first: date, last: date, comuna: str | None
) -> dict[tuple[str, str], ContactTally]:
    """Attempts and families per (channel, result) that occurred at least once."""
    rows = await session.execute(
        select(
            ContactAttempt.channel,
            ContactAttempt.result,
            func.count(),
            func.count(func.distinct(ContactAttempt.family_id)),
        )
        .join(Family, Family.id == ContactAttempt.family_id)
        .where(between(ContactAttempt.attempted_on, first, last), *in_comuna(Family.comuna, comuna))
        .group_by(ContactAttempt.channel, ContactAttempt.result)
    )
    return {(str(c), str(r)): ContactTally(int(n), int(f)) for c, r, n, f in rows}


async def exits(
    session: AsyncSession, first: date, last: date, comuna: str | None
) -> dict[str, int]:
    """Families that exited in the period, per cause that occurred."""
    rows = await session.execute(
        select(Family.exit_cause, func.count())
        .where(between(Family.exited_on, first, last), *in_comuna(Family.comuna, comuna))
        .group_by(Family.exit_cause)
    )
    return {str(cause): int(count) for cause, count in rows}


async def month_end(
    session: AsyncSession, last: date, comuna: str | None, *, contact_due_before: date
) -> MonthEnd:
    """Referred by `last` and not out by then; unlocated ones referred before
    `contact_due_before` are overdue."""
    unlocated = or_(Family.located_on.is_(None), Family.located_on > last)
    located = Family.located_on <= last
    uninvited = or_(Family.invited_on.is_(None), Family.invited_on > last)
    accepted = and_(Family.invited_on <= last, Family.invitation_accepted.is_(True))
    uncommitted = or_(Family.committed_on.is_(None), Family.committed_on > last)
    row = (
        await session.execute(
            select(
                func.count().filter(unlocated),
                func.count().filter(located, uninvited),
                func.count().filter(accepted, uncommitted),
                func.count().filter(Family.committed_on <= last),
                func.count().filter(unlocated, Family.referred_on < contact_due_before),
            ).where(
                Family.referred_on <= last,
                or_(Family.exited_on.is_(None), Family.exited_on > last),
                *in_comuna(Family.comuna, comuna),
            )
        )
    ).one()
    return MonthEnd(*row)


async def entries(
    session: AsyncSession, first: date, last: date, comuna: str | None
) -> IntakeEntries:
    row = (
        await session.execute(
            select(
                func.count().filter(between(Family.referred_on, first, last)).label("referred"),
                func.count().filter(between(Family.committed_on, first, last)).label("committed"),
            ).where(*in_comuna(Family.comuna, comuna))
        )
    ).one()
    return IntakeEntries.model_validate(row._asdict())
