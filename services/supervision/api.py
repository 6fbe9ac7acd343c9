"""Supervision's JSON API (the console and the CLI read through it)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from services.supervision.clients import Lifecycles, payment_cycle_status
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
from shared.contracts.payments import (
    PAYMENT_CYCLE_WORKFLOW,
    PaymentCycleInput,
    PaymentCycleView,
    payment_cycle_workflow_id,
)
from shared.errors import Conflict
from shared.http.deps import Actor
from shared.settings import Settings

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


# ---- the monthly payment cycle --------------------------------------------------------

PeriodPath = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="Mes, AAAA-MM")]


class CycleStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reiniciar: bool = Field(
        False,
        description="Volver a ejecutar un ciclo ya terminado (no paga dos veces: solo envía "
        "lo pendiente)",
    )


@router.post(
    "/payment-cycles/{period}",
    status_code=202,
    summary="Iniciar el ciclo de pagos del mes (lo inicia también el calendario mensual)",
    responses={409: {"description": "El ciclo ya está en curso o ya se ejecutó"}},
)
async def start_payment_cycle(
    period: PeriodPath, body: CycleStartIn, request: Request, actor: Actor = "sistema"
) -> PaymentCycleView:
    client: Client = request.app.state.temporal
    settings: Settings = request.app.state.settings
    params = PaymentCycleInput(
        period=period, poll_seconds=settings.payments_poll_seconds, actor=actor
    )
    try:
        await client.start_workflow(
            PAYMENT_CYCLE_WORKFLOW,
            args=[params, None],
            id=payment_cycle_workflow_id(period),
            task_queue=settings.temporal_task_queue,
            id_reuse_policy=(
                WorkflowIDReusePolicy.ALLOW_DUPLICATE
                if body.reiniciar
                else WorkflowIDReusePolicy.REJECT_DUPLICATE
            ),
        )
    except WorkflowAlreadyStartedError as exc:
        hint = "" if body.reiniciar else "; para repetirlo use reiniciar"
        raise Conflict(
            f"El ciclo de pagos de {period} ya está en curso o ya se ejecutó{hint}"
        ) from exc
    return PaymentCycleView(period=period, step="iniciando", started_by=actor)


@router.get("/payment-cycles/{period}", summary="Avance del ciclo de pagos del mes")
async def payment_cycle(period: PeriodPath, request: Request) -> dict[str, Any]:
    status, view = await payment_cycle_status(request.app.state.temporal, period)
    return {"estado": status, "ciclo": view.model_dump(mode="json")}
