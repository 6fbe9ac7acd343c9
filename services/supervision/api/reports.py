"""`/v1/reports/…`: the transparency and monthly reports as PDF, XLSX, CSV or JSON."""

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
from services.supervision.reports.document import Report, to_report_document
from services.supervision.reports.pdf import to_report_pdf
from services.supervision.reports.spreadsheets import to_report_csv, to_report_xlsx
from shared.contracts.reports import ReportDocument
from shared.contracts.statistics import (
    IntakeMonthStatistics,
    IntakeYearStatistics,
    PlansMonthStatistics,
    PlansYearStatistics,
)
from shared.http.files import file_content
from shared.statistics import Comuna, Month, Year, month_bounds
from shared.tabular import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE

router = APIRouter(prefix="/v1/reports", tags=["informes"])

Format = Literal["pdf", "xlsx", "csv", "json"]
RENDERERS: dict[str, tuple[str, Callable[[Report], bytes]]] = {
    "pdf": ("application/pdf", to_report_pdf),
    "xlsx": (XLSX_MEDIA_TYPE, to_report_xlsx),
    "csv": (CSV_MEDIA_TYPE, to_report_csv),
}
DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "El informe, como archivo adjunto",
        "model": ReportDocument,
        "content": file_content("application/pdf", XLSX_MEDIA_TYPE, "text/csv")
        | {"application/json": {}},
    }
}
FormatQuery = Annotated[Format, Query(description="pdf, xlsx, csv o json")]


def _services(request: Request) -> dict[str, ServiceClient]:
    services: dict[str, ServiceClient] = request.app.state.services
    return services


def _now(request: Request) -> datetime:
    """The app clock's now in the programme's time zone: the report's "produced on"."""
    now: datetime = request.app.state.clock()
    return now.astimezone(ZoneInfo(request.app.state.settings.timezone))


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def rendered(report: Report, format: Format) -> Response:
    """The report in the asked format, named for download (`informe-…-2024.pdf`)."""
    disposition = f'attachment; filename="{report.file_stem}.{format}"'
    if format == "json":
        document = to_report_document(report).model_dump(mode="json")
        return JSONResponse(document, headers={"Content-Disposition": disposition})
    media_type, render = RENDERERS[format]
    return Response(
        render(report), media_type=media_type, headers={"Content-Disposition": disposition}
    )


@router.get(
    "/transparency",
    summary="Informe de transparencia de un año (Ley 20.285), sin datos personales",
    response_class=Response,
    responses=DOWNLOADS,
)
async def transparency_report(
    request: Request,
    year: Year,
    format: FormatQuery = "pdf",
    comuna: Comuna = None,
) -> Response:
    services = _services(request)
    params = _params(year=year, comuna=comuna)
    intake, plans, staff = await asyncio.gather(
        services["intake"].read(IntakeYearStatistics, "/v1/statistics", **params),
        services["plans"].read(PlansYearStatistics, "/v1/statistics", **params),
        services["intake"].get("/v1/staff", **_params(comuna=comuna)),
    )
    report = transparency.build(year, comuna, intake, plans, staff, _now(request))
    return rendered(report, format)


@router.get(
    "/monthly",
    summary="Informe mensual de gestión para FOSIS: fases, sesiones, ingresos, egresos, vencidos",
    response_class=Response,
    responses=DOWNLOADS,
)
async def monthly_report(
    request: Request,
    month: Month,
    format: FormatQuery = "pdf",
    comuna: Comuna = None,
) -> Response:
    first, _ = month_bounds(month)
    services = _services(request)
    params = _params(month=month, comuna=comuna)
    intake, plans = await asyncio.gather(
        services["intake"].read(IntakeMonthStatistics, "/v1/statistics/monthly", **params),
        services["plans"].read(PlansMonthStatistics, "/v1/statistics/monthly", **params),
    )
    return rendered(monthly.build(first, comuna, intake, plans, _now(request)), format)
