"""`/v1/payment-cycles/{period}`: start the month's PaymentCycle workflow and follow it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from services.supervision.clients import payment_cycle_status
from services.supervision.schemas import CycleStartIn, PaymentCycleStatus
from shared.contracts.payments import (
    PAYMENT_CYCLE_WORKFLOW,
    PaymentCycleInput,
    PaymentCycleView,
    payment_cycle_workflow_id,
)
from shared.errors import Conflict
from shared.http.deps import Actor
from shared.settings import Settings

router = APIRouter(prefix="/v1/payment-cycles", tags=["ciclo de pagos"])

PeriodPath = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="Mes, AAAA-MM")]


@router.post(
    "/{period}",
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
                if body.restart
                else WorkflowIDReusePolicy.REJECT_DUPLICATE
            ),
        )
    except WorkflowAlreadyStartedError as exc:
        hint = "" if body.restart else "; para repetirlo use reiniciar"
        raise Conflict(
            f"El ciclo de pagos de {period} ya está en curso o ya se ejecutó{hint}"
        ) from exc
    return PaymentCycleView(period=period, step="iniciando", started_by=actor)


@router.get(
    "/{period}",
    summary="Avance del ciclo de pagos del mes",
    responses={404: {"description": "El ciclo de ese mes no se ha iniciado"}},
)
async def payment_cycle(period: PeriodPath, request: Request) -> PaymentCycleStatus:
    status, view = await payment_cycle_status(request.app.state.temporal, period)
    return PaymentCycleStatus(status=status, cycle=view)
