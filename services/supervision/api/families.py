"""`/v1/families…` and `/v1/dashboard`: families' processes from Temporal, and the operator's
decisions on them (the console and the CLI act through these)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from services.supervision.clients import Lifecycles
from services.supervision.decisions import Action
from services.supervision.schemas import (
    AbandonmentDecisionIn,
    CloseIn,
    Dashboard,
    DateCorrectionIn,
    FamilyLifecycleOut,
    PauseIn,
    RunningFamily,
)
from shared.contracts.lifecycle import (
    AbandonmentDecision,
    CloseRequest,
    DateCorrection,
    LifecycleView,
    PauseRequest,
)
from shared.http.deps import Actor

router = APIRouter(prefix="/v1", tags=["supervisión"])

Responses = dict[int | str, dict[str, Any]]
REFUSED: Responses = {
    409: {"description": "No corresponde en este estado; el motivo viene en detail"}
}
NO_PROCESS: Responses = {404: {"description": "La familia no tiene un proceso en curso"}}


def _lifecycles(request: Request) -> Lifecycles:
    lifecycles: Lifecycles = request.app.state.lifecycles
    return lifecycles


@router.get(
    "/families/{family_id}/lifecycle",
    summary="Estado y línea de tiempo de una familia",
    responses=NO_PROCESS,
)
async def family_lifecycle(family_id: UUID, request: Request) -> FamilyLifecycleOut:
    report = await _lifecycles(request).report(family_id)
    timeline = sorted(report.timeline, key=lambda entry: entry.at, reverse=True)
    return FamilyLifecycleOut(state=report.state, timeline=timeline)


@router.post(
    "/families/{family_id}/lifecycle/abandonment-decision",
    summary="Decisión del Jefe/a de Unidad sobre el abandono (tras la visita documentada)",
    responses=REFUSED | NO_PROCESS,
)
async def decide_abandonment(
    family_id: UUID, body: AbandonmentDecisionIn, request: Request, actor: Actor
) -> LifecycleView:
    decision = AbandonmentDecision(confirmar=body.confirm, motivo=body.reason, usuario=actor)
    return await _lifecycles(request).update(family_id, Action.DECIDE_ABANDONMENT, decision)


@router.post(
    "/families/{family_id}/lifecycle/close",
    summary="Cerrar el proceso: renuncia, fallecimiento o traslado",
    responses=REFUSED | NO_PROCESS,
)
async def close(family_id: UUID, body: CloseIn, request: Request, actor: Actor) -> LifecycleView:
    closing = CloseRequest(causal=body.exit_cause, motivo=body.reason, usuario=actor)
    return await _lifecycles(request).update(family_id, Action.CLOSE, closing)


@router.post(
    "/families/{family_id}/lifecycle/pause",
    summary="Pausar el proceso",
    responses=REFUSED | NO_PROCESS,
)
async def pause(family_id: UUID, body: PauseIn, request: Request, actor: Actor) -> LifecycleView:
    pausing = PauseRequest(motivo=body.reason, usuario=actor)
    return await _lifecycles(request).update(family_id, Action.PAUSE, pausing)


@router.post(
    "/families/{family_id}/lifecycle/resume",
    summary="Reanudar el proceso",
    responses=REFUSED | NO_PROCESS,
)
async def resume(family_id: UUID, body: PauseIn, request: Request, actor: Actor) -> LifecycleView:
    resuming = PauseRequest(motivo=body.reason, usuario=actor)
    return await _lifecycles(request).update(family_id, Action.RESUME, resuming)


@router.post(
    "/families/{family_id}/lifecycle/date-correction",
    summary="Corregir una fecha mal ingresada; los plazos se recalculan",
    responses=REFUSED | NO_PROCESS,
)
async def correct_date(
    family_id: UUID, body: DateCorrectionIn, request: Request, actor: Actor
) -> LifecycleView:
    correction = DateCorrection(
        hecho=body.fact, fecha=body.happened_on, motivo=body.reason, usuario=actor
    )
    return await _lifecycles(request).update(family_id, Action.CORRECT_DATE, correction)


@router.get("/families", summary="Familias en curso, por fase, comuna y plazos vencidos")
async def list_families(
    request: Request,
    phase: Annotated[str | None, Query(max_length=30)] = None,
    comuna: Annotated[str | None, Query(max_length=80)] = None,
    overdue: Annotated[bool, Query(description="Solo con el plazo vencido")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[RunningFamily]:
    return await _lifecycles(request).listing(
        phase=phase, comuna=comuna, overdue=overdue, limit=limit, now=request.app.state.clock()
    )


@router.get("/dashboard", summary="Familias en curso por fase y con plazos vencidos")
async def dashboard(
    request: Request, comuna: Annotated[str | None, Query(max_length=80)] = None
) -> Dashboard:
    return await _lifecycles(request).phase_counts(comuna=comuna, now=request.app.state.clock())
