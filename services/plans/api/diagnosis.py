"""`/v1/families/{family_id}/diagnosis`: the diagnóstico Eje, a versioned draft until completed."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.plans.api.drafts import Edit, Tagged
from services.plans.api.responses import NO_CASE, NOT_FOUND, NOT_NOW, REFUSALS, STALE
from services.plans.diagnosis import diagnosis_service
from services.plans.models import Diagnosis
from services.plans.schemas import DiagnosisIn, DiagnosisItem, DiagnosisOut
from shared.http.deps import Actor, Runtime
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/families/{family_id}/diagnosis", tags=["diagnóstico"])


def diagnosis_out(diagnosis: Diagnosis) -> DiagnosisOut:
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
    family_id: UUID, db: Db, etag: Tagged, actor: Actor = "sistema"
) -> DiagnosisOut:
    return etag.answer(diagnosis_out(await diagnosis_service.start(db, family_id, actor)))


@router.get("", summary="Ver el diagnóstico", responses=NOT_FOUND)
async def get_diagnosis(family_id: UUID, db: Db, etag: Tagged) -> DiagnosisOut:
    return etag.answer(diagnosis_out(await diagnosis_service.get(db, family_id)))


@router.patch(
    "",
    summary="Guardar niveles y notas de indicadores (borrador)",
    responses=REFUSALS | STALE,
)
async def save_diagnosis(
    family_id: UUID, body: DiagnosisIn, db: Db, edit: Edit, actor: Actor = "sistema"
) -> DiagnosisOut:
    diagnosis = await diagnosis_service.save(
        db, family_id, body.items, expected_version=edit.expected_version, actor=actor
    )
    return edit.answer(diagnosis_out(diagnosis))


@router.post("/complete", summary="Completar el diagnóstico", responses=REFUSALS | STALE)
async def complete_diagnosis(
    family_id: UUID, db: Db, rt: Runtime, edit: Edit, actor: Actor = "sistema"
) -> DiagnosisOut:
    diagnosis = await diagnosis_service.complete(
        db, family_id, expected_version=edit.expected_version, actor=actor, today=rt.today()
    )
    return edit.answer(diagnosis_out(diagnosis))
