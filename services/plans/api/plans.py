"""`/v1/families/{family_id}/plan`: the intervention plan's draft, its signature, its revisions."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from services.plans.api.drafts import IfMatch, expected_version
from services.plans.api.responses import NO_CASE, REFUSALS, STALE
from services.plans.cases import case_service
from services.plans.intervention_plan import intervention_plan_service
from services.plans.models import Plan
from services.plans.rules import trajectory
from services.plans.schemas import GoalOut, PlanIn, PlanOut, SignIn
from shared.http.deps import Actor, Runtime
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/families/{family_id}", tags=["plan de intervención"])


def plan_out(plan: Plan, response: Response | None = None) -> PlanOut:
    if response is not None:
        response.headers["ETag"] = f'"{plan.lock_version}"'
    return PlanOut(
        id=plan.id,
        family_id=plan.family_id,
        revision=plan.revision,
        status=plan.status,
        version=plan.lock_version,
        trajectory=trajectory(plan.asl_adults),
        asl_adults=plan.asl_adults,
        goals=[
            GoalOut(
                id=g.id,
                dimension=g.dimension_code,
                description=g.description,
                actions=g.actions,
                responsible_member_id=g.responsible_member_id,
                target_date=g.target_date,
                status=g.status,
            )
            for g in plan.goals
        ],
        signed_on=plan.signed_on,
        signed_by=plan.signed_by,
    )


@router.put(
    "/plan",
    summary="Guardar el borrador del plan de intervención",
    responses=REFUSALS | STALE,
)
async def save_plan(
    family_id: UUID,
    body: PlanIn,
    db: Db,
    response: Response,
    if_match: IfMatch = None,
    actor: Actor = "sistema",
) -> PlanOut:
    plan = await intervention_plan_service.save_draft(
        db,
        family_id,
        body,
        expected_version=expected_version(if_match),
        actor=actor,
    )
    return plan_out(plan, response)


@router.get("/plans", summary="Versiones del plan (la firmada no cambia)", responses=NO_CASE)
async def list_plans(family_id: UUID, db: Db) -> list[PlanOut]:
    await case_service.get_case(db, family_id)
    return [plan_out(p) for p in await intervention_plan_service.revisions(db, family_id)]


@router.post("/plan/sign", summary="Firmar el borrador del plan", responses=REFUSALS | STALE)
async def sign_plan(
    family_id: UUID,
    body: SignIn,
    db: Db,
    rt: Runtime,
    response: Response,
    if_match: IfMatch = None,
    actor: Actor = "sistema",
) -> PlanOut:
    plan = await intervention_plan_service.sign(
        db,
        family_id,
        signed_on=body.signed_on,
        expected_version=expected_version(if_match),
        actor=actor,
        today=rt.today(),
    )
    return plan_out(plan, response)
