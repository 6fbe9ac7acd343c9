"""`/v1/families/{family_id}/plan`: the intervention plan's draft, its signature, its revisions."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.plans.api.drafts import Edit
from services.plans.api.responses import NO_CASE, REFUSALS, STALE
from services.plans.cases import case_service
from services.plans.intervention_plan import intervention_plan_service
from services.plans.schemas import PlanIn, PlanOut, SignIn
from shared.http.deps import Actor, Runtime
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/families/{family_id}", tags=["plan de intervención"])


@router.put(
    "/plan", summary="Guardar el borrador del plan de intervención", responses=REFUSALS | STALE
)
async def save_plan(
    family_id: UUID, body: PlanIn, db: Db, edit: Edit, actor: Actor = "sistema"
) -> PlanOut:
    plan = await intervention_plan_service.save_draft(
        db, family_id, body, expected_version=edit.expected_version, actor=actor
    )
    return edit.answer(PlanOut.model_validate(plan))


@router.get("/plans", summary="Versiones del plan (la firmada no cambia)", responses=NO_CASE)
async def list_plans(family_id: UUID, db: Db) -> list[PlanOut]:
    await case_service.get_case(db, family_id)
    return [
        PlanOut.model_validate(p) for p in await intervention_plan_service.revisions(db, family_id)
    ]


@router.post("/plan/sign", summary="Firmar el borrador del plan", responses=REFUSALS | STALE)
async def sign_plan(
    family_id: UUID, body: SignIn, db: Db, rt: Runtime, edit: Edit, actor: Actor = "sistema"
) -> PlanOut:
    plan = await intervention_plan_service.sign(
        db,
        family_id,
        signed_on=body.signed_on,
        expected_version=edit.expected_version,
        actor=actor,
        today=rt.today(),
    )
    return edit.answer(PlanOut.model_validate(plan))
