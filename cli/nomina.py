"""`familias nomina …`: import the Ministry's nómina and fetch its error report."""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import httpx
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from cli.api import Api, fail
from cli.output import ExitCode, console, errors, print_json
from shared.settings import load_settings

app = typer.Typer(help="Nóminas de derivación del Ministerio.", no_args_is_help=True)

IMPORT_TIMEOUT_SECONDS = 600.0


class _Reading:
    """A file whose reads advance a progress bar (the upload's)."""

    def __init__(self, handle: BinaryIO, progress: Progress, task: Any) -> None:
        self.handle = handle
        self.progress = progress
        self.task = task

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.progress.advance(self.task, len(chunk))
        return chunk


@app.command("importar")
def import_file(
    archivo: Path = typer.Argument(..., help="Nómina en CSV, XLSX o JSON", show_default=False),
    comuna: str = typer.Option(..., "--comuna", help="Comuna de la nómina"),
    anio: int = typer.Option(..., "--anio", min=2000, max=2100, help="Año de la nómina"),
    aceptar_validas: bool = typer.Option(
        False, "--aceptar-validas", help="Importar las familias sin errores aunque otras los tengan"
    ),
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Importa una nómina: crea familias, integrantes, representantes y asignaciones."""
    if not archivo.is_file():
        errors.print(f"[red]No existe el archivo {archivo}[/red]")
        raise typer.Exit(ExitCode.USAGE)
    api = Api(load_settings(), timeout=IMPORT_TIMEOUT_SECONDS)
    url = f"{api.settings.service_url('intake')}/v1/nominas"
    size = archivo.stat().st_size
    with (
        archivo.open("rb") as handle,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            console=errors,
            transient=True,
            disable=as_json or not errors.is_terminal,
        ) as progress,
    ):
        task = progress.add_task("Enviando la nómina", total=size)
        try:
            response = api.http.post(
                url,
                files={"file": (archivo.name, _Reading(handle, progress, task))},  # type: ignore[dict-item]
                data={
                    "comuna": comuna,
                    "cohort_year": str(anio),
                    "accept_valid": str(aceptar_validas).lower(),
                },
            )
        except httpx.HTTPError as exc:
            errors.print(f"[red]No se pudo contactar el servicio de ingreso ({url}).[/red]")
            raise typer.Exit(ExitCode.UNAVAILABLE) from exc
    body = response.json() if response.content else {}
    if "import_id" not in body:  # a problem+json: the file could not be read at all
        fail(response)
    if as_json:
        print_json(body)
    else:
        _print_summary(body)
    if body["status"] == "rechazada":
        raise typer.Exit(ExitCode.REFUSED)


def _print_summary(body: dict[str, Any]) -> None:
    state = body["status"]
    if state == "sin_cambios":
        console.print(f"[yellow]{body['message']}[/yellow]")
        return
    if state == "rechazada":
        console.print(
            f"[red]Nómina rechazada:[/red] {len(body['errors'])} errores en "
            f"{len(body['families_rejected'])} familias. No se importó nada."
        )
        console.print("Corrija el archivo o use --aceptar-validas para importar las demás.")
    else:
        console.print(
            f"[green]Nómina importada:[/green] {len(body['families_created'])} familias nuevas, "
            f"{len(body['families_updated'])} actualizadas, "
            f"{len(body['families_unchanged'])} sin cambios, "
            f"{len(body['families_rejected'])} rechazadas ({body['rows']} filas)."
        )
        for name, count in sorted(body.get("assignments", {}).items()):
            console.print(f"  {name}: {count} familias asignadas")
    for warning in body.get("warnings", []):
        console.print(f"[yellow]Advertencia:[/yellow] {warning}")
    if body["errors"]:
        table = Table(title="Errores (valores enmascarados)")
        for column in ("Fila", "Columna", "Valor", "Motivo", "Familia"):
            table.add_column(column)
        for error in body["errors"][:50]:
            table.add_row(
                str(error["line"]),
                error["column"],
                error["value"],
                error["reason"],
                error.get("family_code") or "—",
            )
        console.print(table)
        if len(body["errors"]) > 50:
            console.print(f"… y {len(body['errors']) - 50} errores más.")
        console.print(
            f"Informe completo: familias nomina informe {body['import_id']} --formato xlsx"
        )


@app.command("informe")
def report(
    id_importacion: str = typer.Argument(..., help="Identificador de la importación"),
    formato: str = typer.Option("csv", "--formato", help="csv o xlsx"),
    salida: Path | None = typer.Option(None, "--salida", "-o", help="Archivo a escribir"),
) -> None:
    """Descarga el informe de errores de una importación (CSV para Excel, o XLSX)."""
    if formato not in ("csv", "xlsx"):
        errors.print("[red]El formato debe ser csv o xlsx[/red]")
        raise typer.Exit(ExitCode.USAGE)
    api = Api(load_settings())
    url = f"{api.settings.service_url('intake')}/v1/nominas/{id_importacion}/errors"
    try:
        response = api.http.get(url, params={"format": formato})
    except httpx.HTTPError as exc:
        errors.print(f"[red]No se pudo contactar el servicio de ingreso ({url}).[/red]")
        raise typer.Exit(ExitCode.UNAVAILABLE) from exc
    if response.status_code >= 400:
        fail(response)
    target = salida or Path(f"errores-{id_importacion[:8]}.{formato}")
    target.write_bytes(response.content)
    console.print(f"Informe guardado en {target}")
