"""Plans' business rules."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans import repository
from services.plans.models import Case
from shared.contracts.plans import CaseOpened, OpenCase
from shared.errors import NotFound


class PlansService:
    async def open_case(self, session: AsyncSession, command: OpenCase) -> CaseOpened:
        case = await repository.get_case(session, command.family_id)
        if case is None:
            case = Case(
                family_id=command.family_id,
                comuna=command.comuna,
                referred_on=command.referred_on,
                opened_at=datetime.now(UTC),
            )
            session.add(case)
            await session.flush()
        return CaseOpened(family_id=case.family_id, opened_at=case.opened_at)

    async def get_case(self, session: AsyncSession, family_id: UUID) -> Case:
        case = await repository.get_case(session, family_id)
        if case is None:
            raise NotFound("La familia no tiene expediente en planes")
        return case


plans_service = PlansService()
