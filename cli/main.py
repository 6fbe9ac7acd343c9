"""Entry point of `familias`."""

from __future__ import annotations

from typing import NoReturn

import typer

from cli import events, family, nomina, payments, report, status
from shared.observability import configure_logging
from shared.process import exit_now
from shared.settings import Settings

app = typer.Typer(
    name="familias",
    help="Familias — herramienta de operación del Programa Familias.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _setup() -> None:
    # Logs go to stderr and only when something is wrong: stdout is for the answer.
    configure_logging(Settings(log_level="ERROR", log_format="console"), "cli")


app.command("estado")(status.status)
app.add_typer(family.app, name="familia")
app.add_typer(nomina.app, name="nomina")
app.add_typer(payments.app, name="pagos")
app.add_typer(report.app, name="reporte")
app.add_typer(events.app, name="eventos")


def main() -> NoReturn:
    """The `familias` script: run the command, then exit without finalization (see exit_now)."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    exit_now(code)


if __name__ == "__main__":
    main()
