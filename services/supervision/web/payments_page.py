"""`/pagos`: the month's payments as the payments officer follows them.

The cycle's step (from its workflow), orders and amounts by state, the bank's rejections
by reason with a link to each family, and whether the month's books balance.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from services.supervision.clients import ServiceClient
from services.supervision.web.rendering import SANTIAGO, error_page, render
from shared.contracts.payments import (
    QUERY_CYCLE_PROGRESS,
    PaymentCycleView,
    payment_cycle_workflow_id,
)
from shared.errors import DomainError, NotFound

router = APIRouter(include_in_schema=False)
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
STEPS = {
    "corte": "Corte",
    "armando lotes": "Armando lotes",
    "enviando al banco": "Enviando al banco",
    "esperando al banco": "Esperando respuestas del banco",
    "cerrado": "Cerrado",
}


async def cycle_view(client: Client, month: str) -> tuple[str, PaymentCycleView] | None:
    handle = client.get_workflow_handle(payment_cycle_workflow_id(month))
    try:
        description = await handle.describe()
        view = await handle.query(QUERY_CYCLE_PROGRESS, result_type=PaymentCycleView)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    status = description.status.name if description.status is not None else ""
    running = status in ("RUNNING", "CONTINUED_AS_NEW")
    return ("en curso" if running else "terminado"), view


@router.get("/pagos")
async def payments_page(
    request: Request, mes: Annotated[str, Query(max_length=7)] = ""
) -> Response:
    month = mes.strip() or f"{datetime.now(SANTIAGO):%Y-%m}"
    if not MONTH.match(month):
        return error_page(
            request, 422, "Mes no válido", "Indique el mes como AAAA-MM, p. ej. 2025-03."
        )
    payments: ServiceClient = request.app.state.services["payments"]
    try:
        books: dict[str, Any] = await payments.get(f"/v1/cycles/{month}/cuadratura")
        try:
            progress: dict[str, Any] | None = await payments.get(f"/v1/cycles/{month}")
        except NotFound:
            progress = None
        rejected: list[dict[str, Any]] = (
            await payments.get(f"/v1/cycles/{month}/transfers", estado="rejected", limite=200)
            if progress
            else []
        )
    except DomainError as exc:
        return error_page(request, 503, "Pagos no disponible", exc.message)
    try:
        cycle = await cycle_view(request.app.state.temporal, month)
    except RPCError:
        cycle = None
    return render(
        request,
        "pagos.html",
        {
            "mes": month,
            "cuadratura": books,
            "avance": progress,
            "rechazadas": rejected,
            "ciclo": cycle,
            "pasos": STEPS,
        },
    )
