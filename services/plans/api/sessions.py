"""`/v1/families/{family_id}/sessions`: sessions held with the family."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from services.plans.api.responses import NO_CASE, REFUSALS, Responses
from services.plans.models import Session
from services.plans.schemas import SessionIn, SessionOut
from services.plans.sessions import sessions_service
from shared.http.deps import Actor, Runtime
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/families/{family_id}/sessions", tags=["sesiones"])

REPLAYED: Responses = {
    200: {"model": SessionOut, "description": "Ya estaba registrada: se devuelve la existente"}
}


def session_out(recorded: Session, warning: str | None = None) -> SessionOut:
    return SessionOut.model_validate(recorded).model_copy(update={"warning": warning})


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar una sesión",
    responses=REPLAYED | REFUSALS,
)
async def record_session(
    family_id: UUID,
    body: SessionIn,
    db: Db,
    rt: Runtime,
    response: Response,
    actor: Actor = "sistema",
) -> SessionOut:
    recorded, new, warning = await sessions_service.record(
        db,
        family_id,
        body,
        professional=actor,
        today=rt.today(),
        health_emergency=rt.settings.health_emergency,
    )
    if not new:
        response.status_code = status.HTTP_200_OK
    return session_out(recorded, warning)


@router.get("", summary="Sesiones de la familia", responses=NO_CASE)
async def list_sessions(
    family_id: UUID,
    db: Db,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Solo las de este año")] = None,
    month: Annotated[
        int | None, Query(ge=1, le=12, description="Solo las de este mes del año indicado")
    ] = None,
) -> list[SessionOut]:
    found = await sessions_service.of_family(db, family_id, year=year, month=month)
    return [session_out(s) for s in found]
