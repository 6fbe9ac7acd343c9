"""`familias reporte …` run as a user runs it: CSV to standard output, PDF/XLSX to files."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from deploy.local.stack import LocalStack
from shared.settings import Settings, child_environment
from tests.support.data import family_payload
from tests.support.programme import unique_comuna
from tests.support.stack import free_port_settings

FAMILIAS = Path(sys.executable).parent / "familias"


def familias(
    settings: Settings, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = child_environment(settings, os.environ) | {"COLUMNS": "200"}
    return subprocess.run(
        [str(FAMILIAS), *args], env=env, capture_output=True, timeout=120, check=False, cwd=cwd
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("transparencia", "--anio", "2024", "--formato", "docx"), "Formato no válido"),
        (("mensual", "--mes", "2025-13"), "Mes no válido"),
        (("mensual", "--mes", "marzo"), "Use AAAA-MM"),
    ],
    ids=["format", "month-13", "month-name"],
)
def test_a_bad_format_or_month_is_a_usage_error_in_spanish(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = familias(free_port_settings(tmp_path), "reporte", *args)
    assert result.returncode == 2
    assert message in result.stderr.decode()
    assert result.stdout == b""


def test_with_supervision_down_it_says_so_and_exits_unavailable(tmp_path: Path) -> None:
    result = familias(free_port_settings(tmp_path), "reporte", "transparencia", "--anio", "2024")
    assert result.returncode == 5
    assert "No se pudo contactar el servicio de supervisión" in result.stderr.decode()


@pytest.mark.e2e
def test_reports_come_out_as_csv_on_stdout_and_as_files(system: LocalStack, tmp_path: Path) -> None:
    comuna = unique_comuna("Cli")
    payload = family_payload(comuna=comuna)
    created = httpx.post(
        f"{system.settings.service_url('intake')}/v1/families", json=payload, timeout=10
    )
    assert created.status_code == 201, created.text
    # The running system is on the real clock: ask for the year and month intake dated the
    # referral in, whatever day this runs.
    referred_on = date.fromisoformat(created.json()["referred_on"])
    year, month = str(referred_on.year), f"{referred_on:%Y-%m}"

    table = familias(
        system.settings, "reporte", "transparencia", "--anio", year, "--comuna", comuna
    )
    assert table.returncode == 0, table.stderr.decode()
    text = table.stdout.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Sección", "Concepto", "Medida", "Valor"]
    assert [
        "Etapas del procedimiento",
        "Derivadas por el Ministerio (nómina de derivación)",
        "Familias",
        "1",
    ] in rows
    assert all(member["run"] not in text for member in payload["members"])

    args = ("reporte", "transparencia", "--anio", year, "--comuna", comuna, "--formato", "pdf")
    saved = familias(system.settings, *args, cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr.decode()
    [pdf] = list(tmp_path.glob(f"informe-transparencia-{year}-cli-*.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.name in saved.stdout.decode()
    again = familias(system.settings, *args, cwd=tmp_path)
    assert again.returncode == 4
    assert "no se reemplaza" in again.stderr.decode()

    book = tmp_path / "mensual.xlsx"
    monthly = familias(
        system.settings, "reporte", "mensual", "--mes", month, "--comuna", comuna,
        "--formato", "xlsx", "--salida", str(book),
    )  # fmt: skip
    assert monthly.returncode == 0, monthly.stderr.decode()
    phases = load_workbook(book)["Fases"]
    assert ["Contacto y localización", 1] in [list(r) for r in phases.iter_rows(values_only=True)]

    shown = familias(
        system.settings, "reporte", "mensual", "--mes", month, "--comuna", comuna,
        "--formato", "tabla",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr.decode()
    assert "Familias por fase al cierre del mes" in shown.stdout.decode()
