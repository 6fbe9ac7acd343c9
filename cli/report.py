"""`familias reporte …`: the transparency report and the monthly management report.

CSV and JSON go to standard output unless `--salida` names a file; `tabla` prints them as
Rich tables. PDF and XLSX are never written to a terminal: without `--salida` they are
saved in the current folder under the name the server gives
(`informe-transparencia-2024.pdf`), and an existing file of that name is left alone.
`--salida -` sends any format to standard output, for pipes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.table import Table

from cli.api import Api, fail
from cli.output import ExitCode, console, errors
from shared.contracts.reports import Cell, ReportDocument
from shared.settings import load_settings

app = typer.Typer(
    help="Informes: transparencia (Ley 20.285) y gestión mensual.", no_args_is_help=True
)

FORMATS = ("pdf", "xlsx", "csv", "json", "tabla")
TO_STDOUT = ("csv", "json")
REPORT_TIMEOUT_SECONDS = 120.0

Formato = typer.Option(
    "csv", "--formato", "-f", help="pdf, xlsx, csv, json, o tabla para leerlo en pantalla"
)
Salida = typer.Option(
    None, "--salida", "-o", help="Archivo a escribir ('-' para la salida estándar)"
)
ComunaOption = typer.Option(None, "--comuna", help="Solo esta comuna")


@app.command("transparencia")
def transparency(
    anio: int = typer.Option(..., "--anio", min=2000, max=2100, help="Año del informe"),
    formato: str = Formato,
    comuna: str | None = ComunaOption,
    salida: str | None = Salida,
) -> None:
    """Informe de transparencia de un año (etapas, cobertura, sesiones, abandono, organigrama)."""
    _download("/v1/reports/transparency", {"year": anio, "comuna": comuna}, formato, salida)


@app.command("mensual")
def monthly(
    mes: str = typer.Option(..., "--mes", help="Mes del informe, AAAA-MM"),
    formato: str = Formato,
    comuna: str | None = ComunaOption,
    salida: str | None = Salida,
) -> None:
    """Informe mensual de gestión para FOSIS (fases, sesiones, ingresos, egresos, vencidos)."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", mes):
        errors.print(f"[red]Mes no válido: {mes}. Use AAAA-MM, por ejemplo 2025-03.[/red]")
        raise typer.Exit(ExitCode.USAGE)
    _download("/v1/reports/monthly", {"month": mes, "comuna": comuna}, formato, salida)


def _download(path: str, params: dict[str, Any], formato: str, salida: str | None) -> None:
    formato = formato.lower()
    if formato not in FORMATS:
        errors.print(f"[red]Formato no válido: {formato}. Use pdf, xlsx, csv, json o tabla.[/red]")
        raise typer.Exit(ExitCode.USAGE)
    api = Api(load_settings(), timeout=REPORT_TIMEOUT_SECONDS)
    url = f"{api.settings.service_url('supervision')}{path}"
    asked = "json" if formato == "tabla" else formato
    query = {k: v for k, v in params.items() if v is not None} | {"format": asked}
    try:
        response = api.http.get(url, params=query)
    except httpx.HTTPError as exc:
        errors.print(f"[red]No se pudo contactar el servicio de supervisión ({url}).[/red]")
        raise typer.Exit(ExitCode.UNAVAILABLE) from exc
    if response.status_code >= 400:
        fail(response)
    if formato == "tabla":
        _print_tables(ReportDocument.model_validate(response.json()))
        return
    if salida == "-" or (salida is None and formato in TO_STDOUT):
        sys.stdout.buffer.write(response.content)
        sys.stdout.flush()
        return
    target = Path(salida) if salida else Path(_suggested_name(response, formato))
    if salida is None and target.exists():
        errors.print(
            f"[red]Ya existe {target}: no se reemplaza. Indique otro archivo con --salida.[/red]"
        )
        raise typer.Exit(ExitCode.REFUSED)
    try:
        target.write_bytes(response.content)
    except OSError as exc:
        errors.print(f"[red]No se pudo escribir {target}: {exc.strerror}.[/red]")
        raise typer.Exit(ExitCode.FAILED) from exc
    console.print(f"Informe guardado en {target}")


def _print_tables(report: ReportDocument) -> None:
    console.print(f"[bold]{report.title}[/bold]")
    console.print(f"{report.period} · {report.scope} · emitido el {report.issued_text}")
    for table in report.tables:
        shown = Table(title=table.title, title_justify="left")
        counts = _count_columns(table.rows)
        for index, header in enumerate(table.headers):
            shown.add_column(header, justify="right" if index >= counts else "left")
        for row in table.rows:
            shown.add_row(*(_cell(c) for c in row), style="bold" if row[0] == "Total" else None)
        console.print(shown)


def _count_columns(rows: list[list[Cell]]) -> int:
    """Leading columns that name the row; counts follow."""
    width = len(rows[0]) if rows else 0
    return next((i for i in range(width) if any(isinstance(r[i], int) for r in rows)), width)


def _cell(value: Cell) -> str:
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)


def _suggested_name(response: httpx.Response, formato: str) -> str:
    """The file name in Content-Disposition, reduced to a plain name in this folder."""
    found = re.search(r'filename="([^"]+)"', response.headers.get("content-disposition", ""))
    name = Path(found[1]).name if found else ""
    return name if re.fullmatch(r"[\w.-]+", name) else f"informe.{formato}"
