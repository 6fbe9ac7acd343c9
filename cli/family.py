"""`familias familia …`: a family, its phase and its timeline."""

from __future__ import annotations

from typing import Any

import typer
from rich.panel import Panel
from rich.table import Table

from cli.api import Api
from cli.output import ExitCode, console, errors, local_time, print_json
from shared.errors import ValidationFailed
from shared.rut import format_rut, normalize_rut
from shared.settings import load_settings

app = typer.Typer(help="Familias: ver, listar y actuar sobre su proceso.", no_args_is_help=True)


@app.command("ver")
def show(
    rut: str = typer.Argument(..., help="RUN de cualquier integrante, con o sin puntos"),
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Muestra la familia de una persona, la fase de su proceso y su línea de tiempo."""
    try:
        run = normalize_rut(rut)
    except ValidationFailed as exc:
        errors.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(ExitCode.USAGE) from exc
    api = Api(load_settings())
    families: list[dict[str, Any]] = api.get("intake", "/v1/families", run=run)
    if not families:
        errors.print(f"No hay familias con el RUN {format_rut(run)}.")
        raise typer.Exit(ExitCode.NOT_FOUND)
    reports = [_with_lifecycle(api, family) for family in families]
    if as_json:
        print_json(reports if len(reports) > 1 else reports[0])
        return
    for report in reports:
        _print_family(report)


def _with_lifecycle(api: Api, family: dict[str, Any]) -> dict[str, Any]:
    url = f"{api.settings.service_url('supervision')}/v1/families/{family['id']}/lifecycle"
    response = api.http.get(url)
    lifecycle = response.json() if response.status_code == 200 else None
    return {
        **family,
        "proceso": lifecycle["estado"] if lifecycle else None,
        "linea_de_tiempo": lifecycle["linea_de_tiempo"] if lifecycle else [],
    }


def _print_family(report: dict[str, Any]) -> None:
    process = report["proceso"]
    phase = process["phase_label"] if process else "sin proceso en curso"
    lines = [
        f"Familia [bold]{report['id_familia']}[/bold] — {report['comuna']}, "
        f"nómina {report['cohorte']}",
        f"Fase: [bold]{phase}[/bold]",
    ]
    if process and process.get("waiting_for"):
        lines.append(f"Esperando: {process['waiting_for']}")
    console.print(Panel("\n".join(lines), title="Familia"))
    members = Table(title="Integrantes")
    for column in ("RUN", "Nombre", "Parentesco", "Jefe/a de hogar"):
        members.add_column(column)
    for member in report["miembros"]:
        members.add_row(
            member["run_formateado"],
            f"{member['nombres']} {member['apellido_paterno']}",
            member.get("parentesco") or "—",
            "Sí" if member["jefe_hogar"] else "No",
        )
    console.print(members)
    timeline = Table(title="Línea de tiempo (más reciente primero)")
    for column in ("Fecha", "Tipo", "Detalle", "Actor"):
        timeline.add_column(column)
    for entry in report["linea_de_tiempo"]:
        timeline.add_row(
            local_time(entry["at"]), entry["kind"], entry["description"], entry["actor"]
        )
    console.print(timeline)
