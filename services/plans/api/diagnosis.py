"""`/v1/families/{family_id}/diagnosis`: the diagnóstico Eje, a versioned draft until completed."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from services.plans.api.drafts import IfMatch, expected_version
from services.plans.api.responses import NO_CASE, NOT_FOUND, NOT_NOW, REFUSALS, STALE
from services.plans.diagnosis import diagnosis_service
from services.plans.models import Diagnosis
from services.plans.schemas import DiagnosisIn, DiagnosisItem, DiagnosisOut
from shared.http.deps import Actor, Runtime
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/families/{family_id}/diagnosis", tags=["diagnóstico"])


def diagnosis_out(diagnosis: Diagnosis, response: Response) -> DiagnosisOut:
    response.headers["ETag"] = f'"{diagnosis.lock_version}"'
    return DiagnosisOut(
        id=diagnosis.id,
        family_id=diagnosis.family_id,
        status=diagnosis.status,
        version=diagnosis.lock_version,
        items=[DiagnosisItem.from_stored(i) for i in diagnosis.items],
        completed_by=diagnosis.completed_by,
        completed_on=diagnosis.completed_on,
    )


@router.post("", summary="Iniciar el diagnóstico (o verlo)", responses=NO_CASE | NOT_NOW)
async def start_diagnosis(
    family_id: UUID, db: Db, response: Response, actor: Actor = "sistema"
) -> DiagnosisOut:
    return diagnosis_out(await diagnosis_service.start(db, family_id, actor), response)


@router.get("", summary="Ver el diagnóstico", responses=NOT_FOUND)
async def get_diagnosis(family_id: UUID, db: Db, response: Response) -> DiagnosisOut:
    return diagnosis_out(await diagnosis_service.get(db, family_id), response)


@router.patch(
    "",
    summary="Guardar niveles y notas de indicadores (borrador)",
    responses=REFUSALS | STALE,
)
async def save_diagnosis(
    family_id: UUID,
    body: DiagnosisIn,
    db: Db,
    response: Response,
    if_match: IfMatch = None,
    actor: Actor = "sistema",
) -> DiagnosisOut:
    diagnosis = await diagnosis_service.save(
        db, family_id, body.items, expected_version=expected_version(if_match), actor=actor
    )
    return diagnosis_out(diagnosis, response)


@router.post("/complete", summary="Completar el diagnóstico", responses=REFUSALS | STALE)
async def complete_diagnosis(
    family_id: UUID,
    db: Db,
    rt: Runtime,
    response: Response,
    if_match: IfMatch = None,
    actor: Actor = "sistema",
) -> DiagnosisOut:
    diagnosis = await diagnosis_service.complete(
        db, family_id, expected_version=expected_version(if_match), actor=actor, today=rt.today()
    )
    return diagnosis_out(diagnosis, response)
