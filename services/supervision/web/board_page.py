"""`/tablero`: the unit at a glance — families per phase, per month of the 24, per Apoyo
Familiar against the caseload limit, and what is overdue; filtered by comuna, cohort and
professional. The year's exits by cause and coverage, and this month's families with no
session and open abandonment procedures, come from intake's and plans' count endpoints
(by comuna only: those services know no cohort filter or professional there)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.supervision.clients import PHASES, ServiceClient
from services.supervision.web.board import PLAN_MONTHS, BoardFilter, unit_board
from services.supervision.web.charts import Bar, bar_chart, column_chart
from services.supervision.web.rendering import SANTIAGO, error_page, render
from services.supervision.web.settled import settled
from shared.contracts.lifecycle import EXIT_CAUSE_NAMES, PHASE_NAMES
from shared.contracts.statistics import IntakeYearStatistics, PlansMonthStatistics
from shared.errors import DomainError

router = APIRouter(include_in_schema=False)

PHASE_LABELS: Final = PHASE_NAMES


@router.get("/tablero")
async def unit_dashboard(
    request: Request,
    comuna: Annotated[str, Query(max_length=80)] = "",
    cohorte: Annotated[str, Query(max_length=4)] = "",
    profesional: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    comuna = " ".join(comuna.split())
    cohort = int(cohorte) if cohorte.isdigit() and 2000 <= int(cohorte) <= 2100 else None
    wanted = BoardFilter(comuna=comuna or None, cohort=cohort, professional=profesional or None)
    services: dict[str, ServiceClient] = request.app.state.services
    by_comuna = {"comuna": comuna} if comuna else {}
    now: datetime = request.app.state.clock()
    today = now.astimezone(SANTIAGO).date()
    staff_task = asyncio.ensure_future(settled(services["intake"].get("/v1/staff", **by_comuna)))

    async def professional_ids() -> list[str]:
        found = await asyncio.shield(staff_task)
        return [] if isinstance(found, DomainError) else [s["id"] for s in _apoyos(found)]

    board, staff_result, year, month = await asyncio.gather(
        settled(unit_board(request.app.state.temporal, wanted, now, professional_ids())),
        staff_task,
        settled(
            services["intake"].read(
                IntakeYearStatistics, "/v1/statistics", year=today.year, **by_comuna
            )
        ),
        settled(
            services["plans"].read(
                PlansMonthStatistics, "/v1/statistics/monthly", month=f"{today:%Y-%m}", **by_comuna
            )
        ),
    )
    if isinstance(board, DomainError):
        return error_page(request, 503, "Tablero no disponible", board.message)
    staff: list[dict[str, Any]] = [] if isinstance(staff_result, DomainError) else staff_result
    professionals = _apoyos(staff)
    names = {s["id"]: s["name"] for s in staff}
    caseload = [s for s in professionals if not profesional or s["id"] == profesional]
    exits = (
        []
        if isinstance(year, DomainError)
        else [(EXIT_CAUSE_NAMES[c], n) for c, n in year.exits.items()]
    )
    charts = {
        "fase": bar_chart(
            "Familias en curso por fase",
            [Bar(PHASE_LABELS[p], board.per_phase[p]) for p in PHASES],
        ),
        "mes": column_chart(
            "Familias en acompañamiento por mes del programa",
            [Bar(str(m), board.per_month[m]) for m in range(1, PLAN_MONTHS + 1)],
        ),
        "carga": bar_chart(
            "Carga de cada Apoyo Familiar frente al máximo",
            [Bar(s["name"], s["active_families"], s["max_active_families"]) for s in caseload],
        )
        if caseload
        else None,
        "egresos": bar_chart(f"Egresos de {today.year} por causa", [Bar(c, n) for c, n in exits])
        if any(n for _, n in exits)
        else None,
    }
    return render(
        request,
        "tablero.html",
        {
            "filtro": {"comuna": comuna, "cohorte": cohort or "", "profesional": profesional},
            "tablero": board,
            "fases": [(p, PHASE_LABELS[p]) for p in PHASES],
            "nombres_fase": PHASE_LABELS,
            "meses": range(1, PLAN_MONTHS + 1),
            "graficos": charts,
            "profesionales": professionals,
            "carga": caseload,
            "nombres": names,
            "comunas": sorted({s["comuna"] for s in staff}),
            "equipo_no_disponible": isinstance(staff_result, DomainError),
            "anio": today.year,
            "mes": today,
            "egresos": exits,
            "cobertura": None if isinstance(year, DomainError) else year.coverage,
            "mensual": None if isinstance(month, DomainError) else month,
        },
    )


def _apoyos(staff: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in staff if s["role"] == "apoyo_familiar"]
