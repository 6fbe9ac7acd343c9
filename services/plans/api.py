"""Plans' HTTP endpoints."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.plans.schemas import CaseOut
from services.plans.service import plans_service
from shared.http.deps import Session

router = APIRouter(prefix="/v1", tags=["expedientes"])


@router.get("/cases/{family_id}", summary="Ver el expediente de una familia")
async def get_case(family_id: UUID, db: Session) -> CaseOut:
    case = await plans_service.get_case(db, family_id)
    return CaseOut(
        family_id=case.family_id,
        comuna=case.comuna,
        fecha_derivacion=case.referred_on,
        abierto_en=case.opened_at,
    )
