"""`/v1/families/{family_id}/evaluation`: the final evaluation, compared with the diagnosis."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from services.plans.api.responses import NOT_FOUND, REFUSALS
from services.plans.evaluation import evaluation_service
from services.plans.schemas import ComparisonRow, EvaluationIn
from shared.http.deps import Actor, Runtime
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/families/{family_id}/evaluation", tags=["evaluación"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar la evaluación final (responde la comparación antes y después)",
    responses=REFUSALS,
)
async def evaluate(
    family_id: UUID, body: EvaluationIn, db: Db, rt: Runtime, actor: Actor = "sistema"
) -> list[ComparisonRow]:
    await evaluation_service.evaluate(db, family_id, body, actor=actor, today=rt.today())
    return await evaluation_service.comparison(db, family_id)


@router.get("", summary="Comparación antes y después, por indicador", responses=NOT_FOUND)
async def comparison(family_id: UUID, db: Db) -> list[ComparisonRow]:
    return await evaluation_service.comparison(db, family_id)
