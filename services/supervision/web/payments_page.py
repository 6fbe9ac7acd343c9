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

from services.supervision.clients import ServiceClient, payment_cycle_status
from services.supervision.web.rendering import SANTIAGO, error_page, render
from shared.contracts.payments import (
    PaymentCycleView,
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


@router.get("/pagos")
async def payments_page(
    request: Request, mes: Annotated[str, Query(max_length=7)] = ""
) -> Response:
    now: datetime = request.app.state.clock()
    month = mes.strip() or f"{now.astimezone(SANTIAGO):%Y-%m}"
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
            await payments.get(f"/v1/cycles/{month}/transfers", status="rejected", limit=200)
            if progress
            else []
        )
    except DomainError as exc:
        return error_page(request, 503, "Pagos no disponible", exc.message)
    try:
        cycle: tuple[str, PaymentCycleView] | None = await payment_cycle_status(
            request.app.state.temporal, month
        )
    except DomainError:  # not started yet, or Temporal unreachable: the rest still shows
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
