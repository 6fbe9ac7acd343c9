"""Plans' statistics for reports: counts only, never a person.

A month is read at its end, or as of today while it runs (nothing is overdue in the future).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.repository import statistics as counts
from services.plans.rules import SESSION_KINDS
from shared.contracts.statistics import (
    ABANDONMENT_OUTCOMES,
    ABANDONMENT_STEPS,
    Abandonment,
    AbandonmentDocuments,
    MonthSessions,
    PlansMonthStatistics,
    PlansOverdue,
    PlansPhases,
    PlansYearStatistics,
    SessionKindCount,
)
from shared.statistics import due_before, month_bounds, year_bounds


class StatisticsService:
    async def year(
        self, session: AsyncSession, year: int, *, comuna: str | None
    ) -> PlansYearStatistics:
        first, last = year_bounds(year)
        return PlansYearStatistics(
            year=year,
            comuna=comuna,
            stages=await counts.stages(session, first, last, comuna),
            sessions=await self._sessions(session, first, last, comuna),
            abandonment=await self._abandonment(session, first, last, comuna),
        )

    async def month(
        self,
        session: AsyncSession,
        month: str,
        *,
        comuna: str | None,
        diagnosis_deadline_days: int,
        plan_deadline_days: int,
        today: date,
    ) -> PlansMonthStatistics:
        first, last = month_bounds(month)
        end = await counts.month_end(
            session,
            first,
            last,
            comuna,
            diagnosis_due_before=due_before(last, today, diagnosis_deadline_days),
            plan_due_before=due_before(last, today, plan_deadline_days),
        )
        completed = await counts.completed(session, first, last, comuna)
        sessions = await self._sessions(session, first, last, comuna)
        return PlansMonthStatistics(
            month=month,
            comuna=comuna,
            by_phase=PlansPhases(
                diagnosis=end.diagnosis,
                plan=end.plan,
                accompaniment=end.accompaniment,
                evaluation=end.evaluation,
            ),
            diagnoses_completed=completed.diagnoses,
            plans_signed=completed.plans,
            sessions=MonthSessions(
                held=sum(s.sessions for s in sessions),
                attended=sum(s.attended for s in sessions),
                families_expected=end.expected,
                families_with_session=end.seen,
                families_without_session=end.expected - end.seen,
                by_kind=sessions,
            ),
            overdue=PlansOverdue(
                diagnosis=end.diagnosis_overdue,
                plan=end.plan_overdue,
                without_session=end.expected - end.seen,
                open_abandonment=end.open_abandonment,
                diagnosis_deadline_days=diagnosis_deadline_days,
                plan_deadline_days=plan_deadline_days,
            ),
        )

    async def _sessions(
        self, session: AsyncSession, first: date, last: date, comuna: str | None
    ) -> list[SessionKindCount]:
        """Every kind of session, in the catalogue's order, zeros too."""
        found = await counts.sessions_by_kind(session, first, last, comuna)
        none = counts.SessionTally(0, 0, 0, 0, 0)
        return [
            SessionKindCount(
                kind=code,
                kind_label=kind.label,
                counts_toward_minimum=kind.counts,
                **found.get(code, none)._asdict(),
            )
            for code, kind in SESSION_KINDS.items()
        ]

    async def _abandonment(
        self, session: AsyncSession, first: date, last: date, comuna: str | None
    ) -> Abandonment:
        """Documents and families per step; families per recommendation made."""
        documents = await counts.abandonment_documents(session, first, last, comuna)
        return Abandonment(
            steps={
                step: AbandonmentDocuments(
                    documents=sum(d.documents for d in documents if d.kind == step),
                    families=sum(d.families for d in documents if d.kind == step),
                )
                for step in ABANDONMENT_STEPS
            },
            recommendations={
                outcome: sum(
                    d.families
                    for d in documents
                    if d.kind == "recomendacion" and d.recommendation == outcome
                )
                for outcome in ABANDONMENT_OUTCOMES
            },
        )


statistics_service = StatisticsService()
