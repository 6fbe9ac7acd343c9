"""What each family is owed, month by month."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.payments.entitlements import entitlement_service
from services.payments.schemas import MonthOut
from shared.http.deps import Session

router = APIRouter(prefix="/v1/families/{family_id}", tags=["derechos y órdenes"])


@router.get("/entitlements", summary="Derechos registrados de una familia")
async def entitlements(family_id: UUID, db: Session) -> list[MonthOut]:
    return [MonthOut.model_validate(e) for e in await entitlement_service.of_family(db, family_id)]
