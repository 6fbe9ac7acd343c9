"""Intake's statistics for reports: counts only, never a person.

A family counts in a period's stage when the fact happened in it; a month is read at its
end, or as of today while it runs (nothing is overdue in the future).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.repository import statistics as counts
from shared.contracts.statistics import (
    CONTACT_CHANNELS,
    CONTACT_RESULTS,
    EXIT_CAUSES,
    ContactCount,
    ExitCounts,
    IntakeMonthStatistics,
    IntakeOverdue,
    IntakePhases,
    IntakeYearStatistics,
)
from shared.statistics import due_before, month_bounds, year_bounds


class StatisticsService:
    async def year(
        self, session: AsyncSession, year: int, *, comuna: str | None
    ) -> IntakeYearStatistics:
        first, last = year_bounds(year)
        attempts = await counts.contact_attempts(session, first, last, comuna)
        return IntakeYearStatistics(
            year=year,
            comuna=comuna,
            stages=await counts.stages(session, first, last, comuna),
            coverage=await counts.coverage(session, first, last, comuna),
            contacts=[
                ContactCount(
                    channel=channel,
                    result=result,
                    attempts=attempts.get((channel, result), counts.ContactTally(0, 0)).attempts,
                    families=attempts.get((channel, result), counts.ContactTally(0, 0)).families,
                )
                for channel in CONTACT_CHANNELS
                for result in CONTACT_RESULTS
            ],
            exits=await self._exits(session, first, last, comuna),
        )

    async def month(
        self,
        session: AsyncSession,
        month: str,
        *,
        comuna: str | None,
        contact_deadline_days: int,
        today: date,
    ) -> IntakeMonthStatistics:
        first, last = month_bounds(month)
        end = await counts.month_end(
            session,
            last,
            comuna,
            contact_due_before=due_before(last, today, contact_deadline_days),
        )
        return IntakeMonthStatistics(
            month=month,
            comuna=comuna,
            by_phase=IntakePhases(
                contact=end.contact,
                invitation=end.invitation,
                commitment=end.commitment,
                committed=end.committed,
            ),
            entries=await counts.entries(session, first, last, comuna),
            exits=await self._exits(session, first, last, comuna),
            overdue=IntakeOverdue(
                contact=end.contact_overdue, contact_deadline_days=contact_deadline_days
            ),
        )

    async def _exits(
        self, session: AsyncSession, first: date, last: date, comuna: str | None
    ) -> ExitCounts:
        """Every exit cause, in the vocabulary's order, zeros too."""
        found = await counts.exits(session, first, last, comuna)
        return {cause: found.get(cause, 0) for cause in EXIT_CAUSES}


statistics_service = StatisticsService()
