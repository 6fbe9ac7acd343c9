"""Plans' counts for the statistics, each one SQL aggregate (COUNT … FILTER, GROUP BY) over
the facts' own dates. Notes and document contents are never read: they may name people."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Subquery, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import AbandonmentRecord, Case, Diagnosis, Evaluation, Plan, Session
from shared.contracts.statistics import PlansStages
from shared.statistics import between, in_comuna

ATTENDANCE = ("asistio", "no_asistio", "no_ubicada")


class SessionTally(NamedTuple):
    sessions: int
    attended: int
    absent: int
    not_located: int
    families: int


class DocumentTally(NamedTuple):
    kind: str
    recommendation: str | None
    documents: int
    families: int


class Completed(NamedTuple):
    diagnoses: int
    plans: int


class MonthEnd(NamedTuple):
    """Committed families present at the month's end: by phase, expected to have had a
    session (and seen), overdue, and with an abandonment procedure open."""

    diagnosis: int
    plan: int
    accompaniment: int
    evaluation: int
    expected: int
    seen: int
    diagnosis_overdue: int
    plan_overdue: int
    open_abandonment: int


def _first_signed_plans() -> Subquery:
    """Each family's first signed plan date (later revisions do not start anything)."""
    return (
        select(Plan.family_id, func.min(Plan.signed_on).label("signed_on"))
        .where(Plan.status == "firmado")
        .group_by(Plan.family_id)
        .subquery()
    )


def _completed_in(plans: Subquery, first: date, last: date) -> list[ColumnElement[Any]]:
    """Diagnoses completed and first plans signed between `first` and `last`."""
    return [
        func.count(Diagnosis.family_id).filter(
            Diagnosis.status == "completado", between(Diagnosis.completed_on, first, last)
        ),
        func.count(plans.c.family_id).filter(between(plans.c.signed_on, first, last)),
    ]


async def stages(session: AsyncSession, first: date, last: date, comuna: str | None) -> PlansStages:
    plans = _first_signed_plans()
    row = (
        await session.execute(
            select(
                *_completed_in(plans, first, last),
                # In accompaniment some time of the period: plan signed by its end, not out before.
                func.count(plans.c.family_id).filter(
                    plans.c.signed_on <= last,
                    or_(Case.exited_on.is_(None), Case.exited_on >= first),
                ),
                func.count(Evaluation.family_id).filter(
                    between(Evaluation.evaluated_on, first, last)
                ),
            )
            .select_from(Case)
            .outerjoin(Diagnosis, Diagnosis.family_id == Case.family_id)
            .outerjoin(plans, plans.c.family_id == Case.family_id)
            .outerjoin(Evaluation, Evaluation.family_id == Case.family_id)
            .where(*in_comuna(Case.comuna, comuna))
        )
    ).one()
    return PlansStages(
        diagnosed=row[0], plan_signed=row[1], in_accompaniment=row[2], evaluated=row[3]
    )


async def completed(
    session: AsyncSession, first: date, last: date, comuna: str | None
) -> Completed:
    plans = _first_signed_plans()
    row = (
        await session.execute(
            select(*_completed_in(plans, first, last))
            .select_from(Case)
            .outerjoin(Diagnosis, Diagnosis.family_id == Case.family_id)
            .outerjoin(plans, plans.c.family_id == Case.family_id)
            .where(*in_comuna(Case.comuna, comuna))
        )
    ).one()
    return Completed(*row)


async def sessions_by_kind(
    session: AsyncSession, first: date, last: date, comuna: str | None
) -> dict[str, SessionTally]:
    """Sessions held in the period per kind that occurred, by attendance, and families."""
    rows = await session.execute(
        select(
            Session.kind,
            func.count(),
            *(func.count().filter(Session.attendance == a) for a in ATTENDANCE),
            func.count(func.distinct(Session.family_id)),
        )
        .join(Case, Case.family_id == Session.family_id)
        .where(between(Session.held_on, first, last), *in_comuna(Case.comuna, comuna))
        .group_by(Session.kind)
    )
    return {str(kind): SessionTally(*(int(n) for n in tally)) for kind, *tally in rows}


async def abandonment_documents(
    session: AsyncSession, first: date, last: date, comuna: str | None
) -> list[DocumentTally]:
    """Documents of the procedure dated in the period, per kind and recommendation."""
    rows = await session.execute(
        select(
            AbandonmentRecord.kind,
            AbandonmentRecord.recommendation,
            func.count(),
            func.count(func.distinct(AbandonmentRecord.family_id)),
        )
        .join(Case, Case.family_id == AbandonmentRecord.family_id)
        .where(between(AbandonmentRecord.dated, first, last), *in_comuna(Case.comuna, comuna))
        .group_by(AbandonmentRecord.kind, AbandonmentRecord.recommendation)
    )
    return [DocumentTally(str(k), r, int(n), int(f)) for k, r, n, f in rows]


async def month_end(
    session: AsyncSession,
    first: date,
    last: date,
    comuna: str | None,
    *,
    diagnosis_due_before: date,
    plan_due_before: date,
) -> MonthEnd:
    """Committed by `last` and not out by then. Overdue: committed before
    `diagnosis_due_before` and not diagnosed, diagnosed before `plan_due_before` and no plan."""
    plans = _first_signed_plans()
    seen = (
        select(Session.family_id)
        .where(between(Session.held_on, first, last), Session.attendance == "asistio")
        .group_by(Session.family_id)
        .subquery()
    )
    procedure = (
        select(
            AbandonmentRecord.family_id,
            func.max(AbandonmentRecord.dated)
            .filter(AbandonmentRecord.kind == "aviso", AbandonmentRecord.dated <= last)
            .label("warned"),
            func.max(AbandonmentRecord.dated)
            .filter(AbandonmentRecord.kind == "recomendacion", AbandonmentRecord.dated <= last)
            .label("decided"),
        )
        .group_by(AbandonmentRecord.family_id)
        .subquery()
    )
    # Phases at the month's end, exclusive: a signed plan wins over a late diagnosis.
    diagnosed = and_(Diagnosis.status == "completado", Diagnosis.completed_on <= last)
    undiagnosed = or_(Diagnosis.family_id.is_(None), ~diagnosed)
    signed = plans.c.signed_on <= last
    unsigned = or_(plans.c.signed_on.is_(None), plans.c.signed_on > last)
    evaluated = Evaluation.evaluated_on <= last
    unevaluated = or_(Evaluation.evaluated_on.is_(None), Evaluation.evaluated_on > last)
    # Expected to have a session this month: in accompaniment since before it began.
    expected = and_(plans.c.signed_on < first, unevaluated)
    row = (
        await session.execute(
            select(
                func.count().filter(undiagnosed, unsigned),
                func.count().filter(diagnosed, unsigned),
                func.count().filter(signed, unevaluated),
                func.count().filter(signed, evaluated),
                func.count().filter(expected),
                func.count().filter(expected, seen.c.family_id.is_not(None)),
                func.count().filter(
                    undiagnosed, unsigned, Case.committed_on < diagnosis_due_before
                ),
                func.count().filter(diagnosed, unsigned, Diagnosis.completed_on < plan_due_before),
                func.count().filter(
                    procedure.c.warned.is_not(None),
                    or_(procedure.c.decided.is_(None), procedure.c.decided < procedure.c.warned),
                ),
            )
            .select_from(Case)
            .outerjoin(Diagnosis, Diagnosis.family_id == Case.family_id)
            .outerjoin(plans, plans.c.family_id == Case.family_id)
            .outerjoin(Evaluation, Evaluation.family_id == Case.family_id)
            .outerjoin(seen, seen.c.family_id == Case.family_id)
            .outerjoin(procedure, procedure.c.family_id == Case.family_id)
            .where(
                Case.committed_on <= last,
                or_(Case.exited_on.is_(None), Case.exited_on > last),
                *in_comuna(Case.comuna, comuna),
            )
        )
    ).one()
    return MonthEnd(*row)
