"""The family's per-capita income and size, as staff record them from the Registro Social
de Hogares: what the Bono Base Familiar is computed from. The latest record counts."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import FamilyIncome
from services.payments.repository import incomes as repository
from services.payments.schemas import IncomeIn
from shared.db.audit import record_audit


class IncomeService:
    async def record(
        self, session: AsyncSession, family_id: UUID, income: IncomeIn, *, actor: str
    ) -> FamilyIncome:
        recorded = await repository.get(session, family_id, lock=True)
        if recorded is None:
            recorded = FamilyIncome(family_id=family_id)
            session.add(recorded)
        recorded.per_capita = income.income_per_capita
        recorded.members = income.member_count
        recorded.source = income.source
        recorded.recorded_on = income.recorded_on
        recorded.eligible = income.eligible
        await record_audit(
            session, actor=actor, action="ingreso_registrado", entity="familia",
            entity_id=family_id, integrantes=income.member_count, elegible=income.eligible,
            fuente=income.source,
        )  # fmt: skip
        return recorded

    async def of_family(self, session: AsyncSession, family_id: UUID) -> FamilyIncome | None:
        return await repository.get(session, family_id)


income_service = IncomeService()
