"""Suspending or releasing a family's payments by hand."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.payments.holds import hold_service
from services.payments.schemas import HoldIn
from shared.contracts.payments import PaymentsHeld
from shared.http.deps import Actor, Session

router = APIRouter(prefix="/v1/families/{family_id}", tags=["retención de pagos"])


@router.post(
    "/hold",
    summary="Retener o liberar los pagos de una familia (las órdenes se retienen, no se anulan)",
)
async def hold(
    family_id: UUID, body: HoldIn, db: Session, actor: Actor = "sistema"
) -> PaymentsHeld:
    return await hold_service.set(db, family_id, hold=body.hold, reason=body.reason, actor=actor)
