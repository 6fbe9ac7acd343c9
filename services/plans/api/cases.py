"""`/v1/cases`: the family's case file as plans knows it."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.plans.api.responses import NO_CASE
from services.plans.cases import case_service
from services.plans.schemas import CaseOut
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/cases", tags=["expediente"])


@router.get("/{family_id}", summary="Ver el expediente de una familia", responses=NO_CASE)
async def get_case(family_id: UUID, db: Db) -> CaseOut:
    return CaseOut.model_validate(await case_service.get_case(db, family_id))
