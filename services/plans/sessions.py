"""Sessions with the family, and how many count toward the Norma Técnica minimum."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.cases import case_service
from services.plans.events import record_event
from services.plans.guards import ensure_committed
from services.plans.intervention_plan import intervention_plan_service
from services.plans.models import Session
from services.plans.repository import sessions as repository
from services.plans.rules import (
    MINIMUM_SESSIONS,
    SESSION_KINDS,
    counts_toward_minimum,
    trajectory,
)
from services.plans.schemas import SessionIn
from shared.contracts.plans import SessionRecorded, SessionsCount, SessionsInMonth
from shared.errors import ValidationFailed


class SessionsService:
    async def record(
        self,
        session: AsyncSession,
        family_id: UUID,
        held: SessionIn,
        *,
        professional: str,
        today: date,
        health_emergency: bool,
    ) -> tuple[Session, bool, str | None]:
        """The session, whether it is new (a duplicate answers the existing one), a warning."""
        case = await case_service.get_case(session, family_id)
        committed = ensure_committed(case, "sesiones")
        held_on = held.held_on
        if held_on > today:
            raise ValidationFailed("La fecha de la sesión no puede ser futura")
        if held_on < committed:
            raise ValidationFailed(
                f"La fecha de la sesión es anterior a la carta de compromiso ({committed:%d-%m-%Y})"
            )
        kind = SESSION_KINDS[held.kind]
        if kind.needs_asl:
            plan = await intervention_plan_service.signed(session, family_id)
            if plan is None or plan.asl_adults == 0:
                raise ValidationFailed(
                    "La familia no tiene acompañamiento sociolaboral (ASL) en su plan firmado"
                )
        if kind.remote and not health_emergency:
            note = "no cuenta para el mínimo de sesiones fuera de una emergencia sanitaria"
        else:
            note = None
        recorded = await repository.insert_unless_recorded(
            session,
            family_id=family_id,
            held_on=held_on,
            kind=held.kind,
            dimensions=held.dimensions,
            goal_ids=[str(g) for g in held.goal_ids],
            attendee_ids=[str(a) for a in held.attendee_ids],
            attendance=held.attendance,
            notes=held.notes,
            professional=professional,
        )
        if recorded is None:
            existing = await repository.find_session(
                session, family_id, held_on, held.kind, professional
            )
            assert existing is not None
            return existing, False, note
        counted = counts_toward_minimum(
            held.kind, held.attendance, health_emergency=health_emergency
        )
        event = SessionRecorded(
            family_id=family_id,
            session_id=recorded.id,
            held_on=held_on,
            kind=held.kind,
            attendance=held.attendance,
            counts_toward_minimum=counted,
        )
        await record_event(session, event, actor=professional)
        return recorded, True, note

    async def of_family(
        self,
        session: AsyncSession,
        family_id: UUID,
        *,
        year: int | None = None,
        month: int | None = None,
    ) -> list[Session]:
        """The family's sessions in date order; of one year, or of one month of it."""
        await case_service.get_case(session, family_id)
        if year is None:
            return list(await repository.sessions_of(session, family_id))
        first = date(year, month or 1, 1)
        after = _month_after(first) if month else date(year + 1, 1, 1)
        return list(await repository.sessions_of(session, family_id, since=first, before=after))

    async def in_month(
        self, session: AsyncSession, query: SessionsInMonth, *, health_emergency: bool
    ) -> SessionsCount:
        case = await case_service.get_case(session, query.family_id)
        first = date(query.year, query.month, 1)
        rows = await repository.held_before(session, case.family_id, _month_after(first))

        def counted(kind: str, attendance: str) -> bool:
            return counts_toward_minimum(kind, attendance, health_emergency=health_emergency)

        month = [r for r in rows if r.held_on >= first]
        plan = await intervention_plan_service.signed(session, case.family_id)
        return SessionsCount(
            family_id=case.family_id,
            year=query.year,
            month=query.month,
            held=len(month),
            attended=sum(1 for r in month if r.attendance == "asistio"),
            counted_in_month=sum(1 for r in month if counted(r.kind, r.attendance)),
            counted_total=sum(1 for r in rows if counted(r.kind, r.attendance)),
            minimum_total=MINIMUM_SESSIONS[trajectory(plan.asl_adults)] if plan else None,
        )


def _month_after(first: date) -> date:
    """The first day of the month after the one `first` begins."""
    return (first + timedelta(days=32)).replace(day=1)


sessions_service = SessionsService()
