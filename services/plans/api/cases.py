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
    case = await case_service.get_case(db, family_id)
    return CaseOut(
        family_id=case.family_id,
        comuna=case.comuna,
        referred_on=case.referred_on,
        opened_at=case.opened_at,
        committed_on=case.committed_on,
        apoyo_familiar_id=case.apoyo_familiar_id,
        exited_on=case.exited_on,
        exit_cause=case.exit_cause,
    )
