"""`/v1/reportes/…`: the transparency and monthly reports as PDF, XLSX, CSV or JSON."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from services.supervision.clients import ServiceClient
from services.supervision.reports import monthly, transparency
from services.supervision.reports.document import Report, to_report_json
from services.supervision.reports.pdf import to_report_pdf
from services.supervision.reports.spreadsheets import to_report_csv, to_report_xlsx
from shared.contracts.statistics import (
    IntakeMonthStatistics,
    IntakeYearStatistics,
    PlansMonthStatistics,
    PlansYearStatistics,
)
from shared.statistics import month_bounds
from shared.tabular import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE

router = APIRouter(prefix="/v1/reportes", tags=["informes"])

Format = Literal["pdf", "xlsx", "csv", "json"]
RENDERERS: dict[str, tuple[str, Callable[[Report], bytes]]] = {
    "pdf": ("application/pdf", to_report_pdf),
    "xlsx": (XLSX_MEDIA_TYPE, to_report_xlsx),
    "csv": (CSV_MEDIA_TYPE, to_report_csv),
}
DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "El informe, como archivo adjunto",
        "content": {
            "application/pdf": {},
            XLSX_MEDIA_TYPE: {},
            "text/csv": {},
            "application/json": {},
        },
    }
}
FormatQuery = Annotated[Format, Query(description="pdf, xlsx, csv o json")]
Comuna = Annotated[str | None, Query(max_length=80, description="Solo esta comuna")]


def _services(request: Request) -> dict[str, ServiceClient]:
    services: dict[str, ServiceClient] = request.app.state.services
    return services


def _now(request: Request) -> datetime:
    return datetime.now(ZoneInfo(request.app.state.settings.timezone))


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def rendered(report: Report, formato: Format) -> Response:
    """The report in the asked format, named for download (`informe-…-2024.pdf`)."""
    disposition = f'attachment; filename="{report.file_stem}.{formato}"'
    if formato == "json":
        return JSONResponse(to_report_json(report), headers={"Content-Disposition": disposition})
    media_type, render = RENDERERS[formato]
    return Response(
        render(report), media_type=media_type, headers={"Content-Disposition": disposition}
    )


@router.get(
    "/transparencia",
    summary="Informe de transparencia de un año (Ley 20.285), sin datos personales",
    response_class=Response,
    responses=DOWNLOADS,
)
async def transparency_report(
    request: Request,
    anio: Annotated[int, Query(ge=2000, le=2100, description="Año del informe")],
    formato: FormatQuery = "pdf",
    comuna: Comuna = None,
) -> Response:
    services = _services(request)
    params = _params(year=anio, comuna=comuna)
    intake, plans, staff = await asyncio.gather(
        services["intake"].read(IntakeYearStatistics, "/v1/statistics", **params),
        services["plans"].read(PlansYearStatistics, "/v1/statistics", **params),
        services["intake"].get("/v1/staff", **_params(comuna=comuna)),
    )
    report = transparency.build(anio, comuna, intake, plans, staff, _now(request))
    return rendered(report, formato)


@router.get(
    "/mensual",
    summary="Informe mensual de gestión para FOSIS: fases, sesiones, ingresos, egresos, vencidos",
    response_class=Response,
    responses=DOWNLOADS,
)
async def monthly_report(
    request: Request,
    mes: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="Mes, AAAA-MM")],
    formato: FormatQuery = "pdf",
    comuna: Comuna = None,
) -> Response:
    month, _ = month_bounds(mes)
    services = _services(request)
    params = _params(month=mes, comuna=comuna)
    intake, plans = await asyncio.gather(
        services["intake"].read(IntakeMonthStatistics, "/v1/statistics/monthly", **params),
        services["plans"].read(PlansMonthStatistics, "/v1/statistics/monthly", **params),
    )
    return rendered(monthly.build(month, comuna, intake, plans, _now(request)), formato)
