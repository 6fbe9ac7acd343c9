"""`/v1/families/{family_id}/abandonment-records`: the abandonment procedure's documents."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from services.plans.abandonment import abandonment_service
from services.plans.api.responses import NO_CASE, REFUSALS
from services.plans.schemas import AbandonmentIn, AbandonmentOut
from shared.http.deps import Actor, Runtime
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/families/{family_id}/abandonment-records", tags=["abandono"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar un documento del procedimiento de abandono",
    responses=REFUSALS,
)
async def file_abandonment_record(
    family_id: UUID, body: AbandonmentIn, db: Db, rt: Runtime, actor: Actor = "sistema"
) -> AbandonmentOut:
    record = await abandonment_service.file(db, family_id, body, actor=actor, today=rt.today())
    return AbandonmentOut.model_validate(record)


@router.get("", summary="Documentos de abandono", responses=NO_CASE)
async def abandonment_records(family_id: UUID, db: Db) -> list[AbandonmentOut]:
    return [
        AbandonmentOut.model_validate(r) for r in await abandonment_service.records(db, family_id)
    ]
