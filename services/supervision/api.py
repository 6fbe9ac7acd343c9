"""Supervision's JSON API (the console and the CLI read through it)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from services.supervision.clients import Lifecycles
from shared.contracts.lifecycle import (
    UPDATE_CLOSE,
    UPDATE_CORRECT_DATE,
    UPDATE_DECIDE_ABANDONMENT,
    UPDATE_PAUSE,
    UPDATE_RESUME,
    AbandonmentDecision,
    CloseRequest,
    DateCorrection,
    LifecycleView,
    PauseRequest,
    TimelineEntry,
)

router = APIRouter(prefix="/v1", tags=["supervisión"])


class FamilyLifecycleOut(BaseModel):
    estado: LifecycleView
    linea_de_tiempo: list[TimelineEntry]


@router.get("/families/{family_id}/lifecycle", summary="Estado y línea de tiempo de una familia")
async def family_lifecycle(family_id: UUID, request: Request) -> FamilyLifecycleOut:
    lifecycles: Lifecycles = request.app.state.lifecycles
    report = await lifecycles.report(family_id)
    timeline = sorted(report.timeline, key=lambda entry: entry.at, reverse=True)
    return FamilyLifecycleOut(estado=report.state, linea_de_tiempo=timeline)


async def _update(request: Request, family_id: UUID, name: str, body: BaseModel) -> LifecycleView:
    lifecycles: Lifecycles = request.app.state.lifecycles
    return await lifecycles.update(family_id, name, body)


@router.post(
    "/families/{family_id}/lifecycle/decidir-abandono",
    summary="Decisión del Jefe/a de Unidad sobre el abandono (tras la visita documentada)",
    responses={409: {"description": "No corresponde en este estado; el motivo viene en detail"}},
)
async def decide_abandonment(
    family_id: UUID, body: AbandonmentDecision, request: Request
) -> LifecycleView:
    return await _update(request, family_id, UPDATE_DECIDE_ABANDONMENT, body)


@router.post(
    "/families/{family_id}/lifecycle/cerrar",
    summary="Cerrar el proceso: renuncia, fallecimiento o traslado",
    responses={409: {"description": "No corresponde en este estado"}},
)
async def close(family_id: UUID, body: CloseRequest, request: Request) -> LifecycleView:
    return await _update(request, family_id, UPDATE_CLOSE, body)


@router.post("/families/{family_id}/lifecycle/pausar", summary="Pausar el proceso")
async def pause(family_id: UUID, body: PauseRequest, request: Request) -> LifecycleView:
    return await _update(request, family_id, UPDATE_PAUSE, body)


@router.post("/families/{family_id}/lifecycle/reanudar", summary="Reanudar el proceso")
async def resume(family_id: UUID, body: PauseRequest, request: Request) -> LifecycleView:
    return await _update(request, family_id, UPDATE_RESUME, body)


@router.post(
    "/families/{family_id}/lifecycle/corregir-fecha",
    summary="Corregir una fecha mal ingresada; los plazos se recalculan",
)
async def correct_date(family_id: UUID, body: DateCorrection, request: Request) -> LifecycleView:
    return await _update(request, family_id, UPDATE_CORRECT_DATE, body)


@router.get("/families", summary="Familias en curso, por fase, comuna y plazos vencidos")
async def list_families(
    request: Request,
    fase: Annotated[str | None, Query(max_length=30)] = None,
    comuna: Annotated[str | None, Query(max_length=80)] = None,
    vencidas: Annotated[bool, Query(description="Solo con el plazo vencido")] = False,
    limite: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    lifecycles: Lifecycles = request.app.state.lifecycles
    return await lifecycles.listing(phase=fase, comuna=comuna, overdue=vencidas, limit=limite)


@router.get("/dashboard", summary="Familias en curso por fase y con plazos vencidos")
async def dashboard(
    request: Request, comuna: Annotated[str | None, Query(max_length=80)] = None
) -> dict[str, Any]:
    lifecycles: Lifecycles = request.app.state.lifecycles
    return await lifecycles.phase_counts(comuna=comuna)
