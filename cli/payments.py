"""`familias pagos …`: what a family receives, month by month."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from cli.api import Api
from cli.output import console, print_json
from shared.settings import load_settings

app = typer.Typer(help="Transferencias y pagos.", no_args_is_help=True)


@app.command("calendario")
def calendar(
    inicio: str = typer.Option(
        ..., "--inicio", help="Mes del primer pago (mes 1 del plan), AAAA-MM"
    ),
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Los 24 meses del Bono de Protección que recibiría una familia, con el total."""
    answer: dict[str, Any] = Api(load_settings()).get("payments", "/v1/calendar", inicio=inicio)
    if as_json:
        print_json(answer["meses"])
        return
    table = Table(title=f"Bono de Protección desde {inicio}")
    for column in ("Mes", "Mes del plan", "Tramo", "Monto (CLP)"):
        table.add_column(column, justify="right" if column != "Mes" else "left")
    for month in answer["meses"]:
        table.add_row(
            month["mes"], str(month["mes_plan"]), str(month["tramo"]), _clp(month["monto"])
        )
    console.print(table)
    console.print(f"Total: [bold]{_clp(answer['total'])}[/bold]")


def _clp(amount: int) -> str:
    return f"${amount:,}".replace(",", ".")
