"""Entry point of `familias`."""

from __future__ import annotations

import typer

from cli import family, status

app = typer.Typer(
    name="familias",
    help="Familias — herramienta de operación del Programa Familias.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("estado")(status.status)
app.add_typer(family.app, name="familia")

if __name__ == "__main__":
    app()
