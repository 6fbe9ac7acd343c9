"""The transparency and monthly reports: their numbers are the data they were built from,
and no RUT or name of that data appears in any format (PDF, XLSX, CSV, JSON).

Intake, plans and supervision live on the tests' fixed day, Wednesday 17 June 2026
(tests/support/clock.py).
"""

from __future__ import annotations

import base64
import csv
import io
import re
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from services.supervision.api.reports import router as reports_router
from services.supervision.clients import ServiceClient
from services.supervision.reports import transparency
from services.supervision.reports.pdf import to_report_pdf
from services.supervision.reports.spreadsheets import to_report_csv, to_report_xlsx
from shared.bus.client import Bus
from shared.contracts.statistics import (
    Abandonment,
    Coverage,
    IntakeStages,
    IntakeYearStatistics,
    PlansStages,
    PlansYearStatistics,
)
from shared.http.problems import install_problem_handlers
from shared.settings import Settings
from tests.conftest import ServiceUnderTest
from tests.support.clock import TODAY, fixed_clock
from tests.support.data import random_rut
from tests.support.programme import (
    AFI,
    IntakeFamily,
    abandonment,
    close,
    commit,
    contact,
    diagnose,
    exit_case,
    hold_session,
    invite,
    open_case,
    refer,
    sign_plan,
    unique_comuna,
)

BEFORE_THIS_MONTH = date(2026, 5, 31)  # the last day of the month before TODAY's
STAFF_NAMES = ["Rosa Elvira Valdés", "Pedro Soto Lagos", "Lucía Rojas Pino", "Marta Díaz Vera"]


@dataclass
class Built:
    comuna: str
    families: dict[str, IntakeFamily]
    staff_runs: list[str]

    def forbidden(self) -> list[str]:
        """Every RUT form, name and nómina code the report must never show."""
        found = list(STAFF_NAMES)
        for run in self.staff_runs:
            compact = run.replace(".", "").replace("-", "")
            found += [run, run.replace(".", ""), compact, compact[:-1]]
        for family in self.families.values():
            found += family.rut_forms + family.names + [family.payload["family_code"]]
        return found


@pytest.fixture
async def supervision(
    intake: ServiceUnderTest, plans: ServiceUnderTest, it_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """Supervision's report routes, reading the in-process intake and plans over HTTP."""
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(reports_router)
    app.state.settings = it_settings
    app.state.clock = fixed_clock
    app.state.services = {
        "intake": ServiceClient("", intake.client),
        "plans": ServiceClient("", plans.client),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://supervision") as client:
        yield client


async def add_staff(intake: ServiceUnderTest, comuna: str) -> list[str]:
    runs = [random_rut() for _ in STAFF_NAMES]
    roles = ["jefe_unidad", "apoyo_familiar", "apoyo_familiar", "administrativo"]
    boss: str | None = None
    for run, name, role in zip(runs, STAFF_NAMES, roles, strict=True):
        body = {"run": run, "name": name, "role": role, "comuna": comuna, "reports_to_id": boss}
        response = await intake.client.post("/v1/staff", json=body, headers=AFI)
        assert response.status_code == 201, response.text
        boss = boss or response.json()["id"]
    return runs


async def build(intake: ServiceUnderTest, plans: ServiceUnderTest, bus: Bus) -> Built:
    """Four families: referred only; accompanied; abandoned after the procedure; declined.

    The accompanied family's facts are 60 to 40 days old (18 April to 8 May 2026), its plan
    signed on 31 May; everything else happens today.
    """
    comuna = unique_comuna("Informe")
    staff_runs = await add_staff(intake, comuna)
    http = intake.client
    families = {
        "referred": await refer(http, comuna, members=2, surname="Carrasco"),
        "accompanied": await refer(
            http, comuna, members=3, surname="Fuentes", on=TODAY - timedelta(days=60)
        ),
        "abandoned": await refer(http, comuna, members=4, surname="Alarcón"),
        "declines": await refer(http, comuna, members=1, surname="Bustamante"),
    }
    accompanied, abandoned = families["accompanied"], families["abandoned"]
    await contact(http, accompanied, on=TODAY - timedelta(days=50))
    await invite(http, accompanied, on=TODAY - timedelta(days=45))
    await commit(http, accompanied, on=TODAY - timedelta(days=40))
    await contact(http, abandoned)
    await invite(http, abandoned)
    await commit(http, abandoned)
    await contact(http, families["declines"], channel="telefono")
    await invite(http, families["declines"], accepts=False)
    await close(bus, families["declines"], "rechaza")

    # Plans opens the case as the workflow does and learns the commitment from intake's event
    # (published here as intake's outbox relay, not running in this process, would).
    for family, signed in ((accompanied, TODAY - timedelta(days=40)), (abandoned, TODAY)):
        await open_case(plans.client, bus, comuna, family_id=UUID(family.id), committed=signed)
    accompanied_id, abandoned_id = UUID(accompanied.id), UUID(abandoned.id)
    await diagnose(plans.client, accompanied_id)
    await sign_plan(plans.client, accompanied_id, on=BEFORE_THIS_MONTH)
    await hold_session(plans.client, accompanied_id, "aps_individual")
    await hold_session(plans.client, accompanied_id, "entrevista")
    await abandonment(
        plans.client,
        abandoned_id,
        ["aviso", "visita", "informe", "recomendacion"],
        recommendation="egreso",
    )
    await close(bus, abandoned, "abandono")
    await exit_case(plans.client, bus, abandoned_id, "abandono")
    return Built(comuna=comuna, families=families, staff_runs=staff_runs)


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages: each (compressed) content stream, its string operands."""
    pieces = []
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", pdf, flags=re.S):
        try:  # ReportLab's filters: /ASCII85Decode then /FlateDecode
            content = zlib.decompress(base64.a85decode(raw.strip().removesuffix(b"~>")))
        except (ValueError, zlib.error):
            content = raw
        for literal in re.findall(rb"\((?:\\.|[^\\)])*\)", content, flags=re.S):
            text = re.sub(
                rb"\\([0-7]{1,3}|.)",
                lambda m: (
                    bytes([int(m[1], 8)]) if m[1][:1].isdigit() else m[1].replace(b"n", b"\n")
                ),
                literal[1:-1],
            )
            pieces.append(text.decode("cp1252"))
    return " ".join(pieces)


def xlsx_cells(content: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(content))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def assert_nothing_personal(text: str, built: Built) -> None:
    leaked = [value for value in built.forbidden() if value in text]
    assert leaked == []


async def test_the_transparency_report_counts_what_was_recorded_in_every_format(
    intake: ServiceUnderTest, plans: ServiceUnderTest, it_bus: Bus, supervision: httpx.AsyncClient
) -> None:
    built = await build(intake, plans, it_bus)
    params = {"year": 2026, "comuna": built.comuna}
    answer = await supervision.get("/v1/reports/transparency", params=params | {"format": "json"})
    assert answer.status_code == 200, answer.text
    tables = {t["sheet"]: t["rows"] for t in answer.json()["tables"]}
    # Every fact of the four families is dated in 2026 (the accompanied one's since April).
    assert dict(tables["Etapas"]) == {
        "Derivadas por el Ministerio (nómina de derivación)": 4,
        "Localizadas": 3,
        "Invitadas al programa": 3,
        "Aceptan la invitación": 2,
        "Rechazan la invitación": 1,
        "Firman la carta de compromiso": 2,
        "Con diagnóstico Eje completado": 1,
        "Con plan de intervención firmado": 1,
        "En acompañamiento durante el año": 1,
        "Con evaluación final": 0,
        "Egresadas": 2,
    }
    persons = built.families["accompanied"].persons + built.families["abandoned"].persons
    assert dict(tables["Cobertura"]) == {
        "Familias atendidas en el año": 2,
        "Personas (integrantes de esas familias)": persons,
    }
    sessions = {row[0]: row[1:] for row in tables["Sesiones"]}
    assert sessions["APS individual"] == [1, 1, 0, 0, 1]
    assert sessions["Entrevista"] == [1, 1, 0, 0, 1]
    assert sessions["Taller"] == [0, 0, 0, 0, 0]
    assert sessions["Total"] == [2, 2, 0, 0, ""]
    steps = {row[0]: row[1:] for row in tables["Abandono"]}
    assert steps["Aviso a la familia"] == [1, 1]
    assert steps["Recomendación a la Jefatura"] == [1, 1]
    reasons = dict(tables["Abandono por motivo"])
    assert reasons["Egreso por abandono: falta sostenida de contacto"] == 1
    assert reasons["Recomendación de egreso por abandono"] == 1
    assert reasons["Renuncia: voluntad expresada de la familia"] == 0
    exits = dict(tables["Egresos"])
    assert exits["Abandono"] == 1
    assert exits["La familia rechaza la invitación"] == 1
    assert exits["Total"] == 2
    chart = {row[0]: row[1:] for row in tables["Organigrama"]}
    assert chart == {
        "Jefe/a de Unidad de Intervención Familiar": ["—", 1, 0],
        # The two active families were assigned by caseload on referral.
        "Apoyo Familiar Integral (AFI)": ["Jefe/a de Unidad de Intervención Familiar", 2, 2],
        "Apoyo administrativo": ["Jefe/a de Unidad de Intervención Familiar", 1, 0],
        "Total": ["", 4, 2],
    }
    assert_nothing_personal(answer.text, built)

    pdf = await supervision.get("/v1/reports/transparency", params=params | {"format": "pdf"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    # "Informe 1a2b3c4d5e" in a file name: ASCII, lower case, words joined by hyphens.
    stem = f"informe-transparencia-2026-informe-{built.comuna.split()[-1]}"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{stem}.pdf"'
    text = pdf_text(pdf.content)
    assert "Informe de transparencia" in text
    assert "Derivadas por el Ministerio (nómina de derivación)" in text
    assert "Organigrama de la Unidad de Intervención Familiar" in text
    assert_nothing_personal(text, built)
    assert_nothing_personal(pdf.content.decode("latin-1"), built)

    xlsx = await supervision.get("/v1/reports/transparency", params=params | {"format": "xlsx"})
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-disposition"].endswith(f'{stem}.xlsx"')
    sheets = xlsx_cells(xlsx.content)
    assert list(sheets)[:3] == ["Informe", "Etapas", "Cobertura"]
    assert sheets["Etapas"][0] == ["Etapa", "Familias"]
    assert ["Rechazan la invitación", 1] in sheets["Etapas"]
    assert ["Familias atendidas en el año", 2] in sheets["Cobertura"]
    assert_nothing_personal(str(sheets), built)

    table = await supervision.get("/v1/reports/transparency", params=params | {"format": "csv"})
    assert table.status_code == 200, table.text
    assert table.headers["content-type"].startswith("text/csv")
    rows = csv_rows(table.content)
    assert rows[0] == ["Sección", "Concepto", "Medida", "Valor"]
    assert [
        "Cobertura",
        "Personas (integrantes de esas familias)",
        "Cantidad",
        str(persons),
    ] in rows
    assert ["Egresos por causal", "La familia rechaza la invitación", "Familias", "1"] in rows
    assert all(len(row) == 4 for row in rows)
    assert_nothing_personal(table.content.decode("utf-8-sig"), built)


async def test_the_monthly_report_shows_phases_sessions_entries_exits_and_overdue(
    intake: ServiceUnderTest, plans: ServiceUnderTest, it_bus: Bus, supervision: httpx.AsyncClient
) -> None:
    built = await build(intake, plans, it_bus)
    params = {"month": "2026-06", "comuna": built.comuna}

    answer = await supervision.get("/v1/reports/monthly", params=params | {"format": "json"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["period"] == "Junio de 2026"
    tables = {t["sheet"]: dict((r[0], r[1]) for r in t["rows"]) for t in body["tables"]}
    assert tables["Fases"] == {
        "Contacto y localización": 1,
        "Invitación": 0,
        "Firma de la carta de compromiso": 0,
        "Diagnóstico Eje": 0,
        "Plan de intervención": 0,
        "Acompañamiento": 1,
        "Evaluación final": 0,
        "Total en curso": 2,
    }
    assert tables["Ingresos"] == {
        "Derivadas (nuevas en la nómina)": 3,  # the fourth was referred 60 days ago
        "Firman la carta de compromiso": 1,
        "Completan el diagnóstico Eje": 1,
        "Firman el plan de intervención": 0,  # signed the month before
    }
    assert tables["Sesiones del mes"] == {
        "Sesiones registradas": 2,
        "Sesiones con asistencia de la familia": 2,
        "Familias que debían tener sesión": 1,
        "Familias con sesión en el mes": 1,
        "Familias sin sesión en el mes": 0,
    }
    assert tables["Egresos"]["Abandono"] == 1
    assert tables["Egresos"]["Total"] == 2
    assert sum(tables["Vencidos"].values()) == 0
    assert_nothing_personal(answer.text, built)

    pdf = await supervision.get("/v1/reports/monthly", params=params | {"format": "pdf"})
    assert pdf.status_code == 200
    assert pdf.headers["content-disposition"].startswith(
        'attachment; filename="informe-mensual-2026-06-'
    )
    assert "Informe mensual de gestión" in pdf_text(pdf.content)
    assert_nothing_personal(pdf_text(pdf.content), built)
    xlsx = await supervision.get("/v1/reports/monthly", params=params | {"format": "xlsx"})
    assert ["Acompañamiento", 1] in xlsx_cells(xlsx.content)["Fases"]
    rows = csv_rows(
        (await supervision.get("/v1/reports/monthly", params=params | {"format": "csv"})).content
    )
    assert [
        "Sesiones realizadas y esperadas",
        "Familias con sesión en el mes",
        "Cantidad",
        "1",
    ] in rows


async def test_a_bad_month_or_format_is_refused_in_spanish(supervision: httpx.AsyncClient) -> None:
    month = await supervision.get("/v1/reports/monthly", params={"month": "2025-13"})
    assert month.status_code == 422
    assert "AAAA-MM" in month.json()["detail"]
    kind = await supervision.get(
        "/v1/reports/transparency", params={"year": 2024, "format": "docx"}
    )
    assert kind.status_code == 422


def test_the_supervision_app_serves_the_reports() -> None:
    from services.supervision.main import create_app

    paths = create_app(Settings(_env_file=None)).openapi()["paths"]
    assert {"/v1/reports/transparency", "/v1/reports/monthly"} <= set(paths)


def test_a_label_that_looks_like_a_formula_stays_text_and_control_characters_go() -> None:
    staff = [{"id": "1", "role": '=HYPERLINK("http://x")', "reports_to_id": None, "active": True}]
    empty_intake = IntakeYearStatistics(
        year=2024,
        comuna=None,
        stages=IntakeStages(referred=0, located=0, invited=0, accepted=0, declined=0, committed=0),
        coverage=Coverage(families=0, persons=0),
        contacts=[],
        exits={"abandono": 0},
    )
    empty_plans = PlansYearStatistics(
        year=2024,
        comuna=None,
        stages=PlansStages(diagnosed=0, plan_signed=0, in_accompaniment=0, evaluated=0),
        sessions=[],
        abandonment=Abandonment(steps={}, recommendations={}),
    )
    now = datetime(2025, 3, 31, 9, 30, tzinfo=ZoneInfo("America/Santiago"))
    # A comuna typed with a control character: XLSX cannot hold it, so it is dropped.
    report = transparency.build(2024, "=Comuna\x17", empty_intake, empty_plans, staff, now)
    assert report.file_stem == "informe-transparencia-2024-comuna"
    rows = csv_rows(to_report_csv(report))
    chart = [row for row in rows if row[0].startswith("Organigrama")]
    assert chart[0][1].startswith("'=")
    cells = xlsx_cells(to_report_xlsx(report))
    assert cells["Organigrama"][1][0].startswith("'=")
    assert cells["Informe"][2] == ["Alcance", "Comuna de =Comuna"]
    assert to_report_pdf(report).startswith(b"%PDF")
