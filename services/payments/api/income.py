"""The family's income, as staff record it for the Bono Base Familiar."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.payments.income import income_service
from services.payments.schemas import IncomeIn, IncomeOut
from shared.http.deps import Actor, Session

router = APIRouter(prefix="/v1/families/{family_id}", tags=["ingreso"])


@router.put(
    "/income",
    summary="Registrar el ingreso per cápita de la familia (Bono Base Familiar)",
)
async def record_income(
    family_id: UUID, body: IncomeIn, db: Session, actor: Actor = "sistema"
) -> IncomeOut:
    await income_service.record(db, family_id, body, actor=actor)
    return IncomeOut.model_validate(body.model_dump())  # as recorded
