"""The family's case file in plans: opened by the workflow, kept current by others' events."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import Case
from services.plans.repository import cases as repository
from shared.contracts.intake import FamilyAssigned, FamilyCommitted, FamilyMoved
from shared.contracts.lifecycle import FamilyExited
from shared.contracts.plans import CaseOpened, OpenCase
from shared.errors import NotFound

OthersFact = FamilyCommitted | FamilyAssigned | FamilyMoved | FamilyExited


class CaseService:
    async def open_case(
        self, session: AsyncSession, command: OpenCase, *, now: datetime
    ) -> CaseOpened:
        """The case file, opened `now` the first time the workflow asks; the same after."""
        case = await repository.get_case(session, command.family_id)
        if case is None:
            case = Case(
                family_id=command.family_id,
                comuna=command.comuna,
                referred_on=command.referred_on,
                opened_at=now,
            )
            session.add(case)
            await session.flush()
        elif case.referred_on is None:  # opened first by an event of another owner
            case.comuna = case.comuna or command.comuna
            case.referred_on = command.referred_on
        return CaseOpened(family_id=case.family_id, opened_at=case.opened_at)

    async def get_case(self, session: AsyncSession, family_id: UUID, *, lock: bool = False) -> Case:
        case = await repository.get_case(session, family_id, lock=lock)
        if case is None:
            raise NotFound("La familia no tiene expediente en planes")
        return case

    async def learn(self, session: AsyncSession, family_id: UUID, fact: OthersFact) -> None:
        """Keep the case's copy of other owners' facts: commitment, professional, comuna, exit."""
        case = await repository.get_case(session, family_id, lock=True)
        if case is None:
            # Events of other owners may overtake the workflow's OpenCase: start the file.
            case = Case(family_id=family_id)
            session.add(case)
        if isinstance(fact, FamilyCommitted):
            case.committed_on = fact.signed_on
        elif isinstance(fact, FamilyAssigned):
            case.apoyo_familiar_id = fact.staff_id
        elif isinstance(fact, FamilyMoved):
            case.comuna = fact.to_comuna
            case.apoyo_familiar_id = None
        else:
            case.exited_on = fact.exited_on
            case.exit_cause = fact.exit_cause


case_service = CaseService()
