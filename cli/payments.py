"""`familias pagos …`: what a family receives, the monthly cycle, the month's books."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any

import httpx
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.api import Api, fail
from cli.output import ExitCode, console, errors, print_json
from shared.settings import load_settings

app = typer.Typer(help="Transferencias y pagos.", no_args_is_help=True)


@app.command("calendario")
def calendar(
    inicio: str = typer.Option(
        ..., "--inicio", help="Mes del primer pago (mes 1 del plan), AAAA-MM"
    ),
    ingreso_per_capita: int | None = typer.Option(
        None, "--ingreso-per-capita", min=0, help="Ingreso per cápita mensual: agrega Base Familiar"
    ),
    integrantes: int = typer.Option(1, "--integrantes", min=1, help="Integrantes de la familia"),
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Los 24 meses que recibiría una familia, con el total: lo que responde el equipo a
    "¿cuánto vamos a recibir?". Con --ingreso-per-capita suma el Bono Base Familiar."""
    params: dict[str, Any] = {"start": inicio}
    if ingreso_per_capita is not None:
        params |= {"income_per_capita": ingreso_per_capita, "member_count": integrantes}
    answer: dict[str, Any] = Api(load_settings()).get("payments", "/v1/calendar", **params)
    if as_json:
        print_json(answer["months"])
        return
    table = Table(title=f"Transferencias desde {inicio}")
    for column in ("Mes", "Mes del plan", "Concepto", "Tramo", "Monto (CLP)"):
        table.add_column(column, justify="left" if column in ("Mes", "Concepto") else "right")
    for month in answer["months"]:
        table.add_row(
            month["period"],
            str(month["plan_month"]),
            CONCEPTS.get(month["concept"], month["concept"]),
            str(month["tranche"] or "—"),
            _clp(month["amount"]),
        )
    console.print(table)
    console.print(f"Total: [bold]{_clp(answer['total'])}[/bold]")
    for note in answer.get("notes", []):
        errors.print(f"[yellow]{note}[/yellow]")


CONCEPTS = {"bono_proteccion": "Bono de Protección", "bono_base_familiar": "Base Familiar"}
MONTH = typer.Argument(..., help="Mes del ciclo, AAAA-MM", metavar="AAAA-MM")


@app.command("ciclo")
def cycle(
    mes: str = MONTH,
    reiniciar: bool = typer.Option(
        False, "--reiniciar", help="Repetir un ciclo ya ejecutado (solo envía lo pendiente)"
    ),
    seguir: bool = typer.Option(
        True, "--seguir/--no-seguir", help="Mostrar el avance hasta el fin"
    ),
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Inicia el ciclo de pagos del mes y muestra su avance: lotes, banco, pagos y rechazos.

    Termina con código 1 si el banco dejó transferencias sin respuesta o hubo
    diferencias que revisar.
    """
    api = Api(load_settings())
    url = f"{api.settings.service_url('supervision')}/v1/payment-cycles/{mes}"
    response = api.http.post(url, json={"restart": reiniciar})
    if response.status_code == 409 and not reiniciar:
        errors.print(f"[yellow]{response.json().get('detail')}: se muestra su avance.[/yellow]")
    elif response.status_code >= 400:
        fail(response)
    if not seguir:
        _show(api.get("supervision", f"/v1/payment-cycles/{mes}"), as_json)
        return
    answer = _follow(api, mes, quiet=as_json)
    _show(answer, as_json)
    cycle_view = answer["cycle"]
    progress = cycle_view.get("progress") or {}
    if cycle_view.get("timed_out") or progress.get("problems"):
        raise typer.Exit(ExitCode.FAILED)


@app.command("avance")
def progress(
    mes: str = MONTH,
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Avance del ciclo de pagos del mes, sin esperar: lo que el flujo del ciclo sabe y,
    al día, lo que pagos sabe de sus lotes y transferencias. Señala las órdenes en lotes
    armados que no llegaron al banco, las transferencias sin respuesta pasado el plazo y
    los problemas de pago sin resolver."""
    api = Api(load_settings())
    answer: dict[str, Any] = api.get("supervision", f"/v1/payment-cycles/{mes}")
    # The workflow's view is as of its last reading of the bank (or its end): the books'
    # owner answers for now, when it can.
    try:
        live = api.http.get(f"{api.settings.service_url('payments')}/v1/cycles/{mes}")
    except httpx.HTTPError:
        live = None
    if live is not None and live.status_code == 200:
        answer["cycle"]["progress"] = live.json()
    _show(answer, as_json)


@app.command("cuadratura")
def balance(
    mes: str = MONTH,
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Cuadratura del mes: devengado = pagado + pendiente + caducado, y el libro balanceado.

    Termina con código 1, y lo dice, si alguna cuenta no cuadra.
    """
    books: dict[str, Any] = Api(load_settings()).get("payments", f"/v1/cycles/{mes}/cuadratura")
    if as_json:
        print_json(books)
    else:
        table = Table(title=f"Cuadratura de {mes}")
        table.add_column("Concepto")
        table.add_column("Monto (CLP)", justify="right")
        for label, key in (
            ("Devengado", "owed"),
            ("Pagado", "paid"),
            ("Pendiente", "pending"),
            ("Caducado", "expired"),
        ):
            table.add_row(label, _clp(books[key]))
        console.print(table)
        accounts = Table(title="Libro mayor (saldos)")
        accounts.add_column("Cuenta")
        accounts.add_column("Saldo (CLP)", justify="right")
        for account in books["accounts"]:
            accounts.add_row(account["name"], _clp(account["balance"]))
        console.print(accounts)
    if not books["balanced"]:
        for problem in books["problems"]:
            errors.print(f"[red bold]NO CUADRA:[/red bold] {escape(problem)}")
        raise typer.Exit(ExitCode.FAILED)
    if not as_json:
        console.print("[green]La cuadratura del mes está correcta.[/green]")


class Resolution(StrEnum):
    pagada = "pagada"
    no_pagada = "no_pagada"
    revisado = "revisado"


@app.command("problemas")
def issues(
    mes: str | None = typer.Option(None, "--mes", help="Solo los de órdenes de ese mes, AAAA-MM"),
    todos: bool = typer.Option(False, "--todos", help="También los ya resueltos"),
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Problemas de pago: lo que el banco contradijo (rechazó una transferencia y la cargó,
    la cargó y la rechazó, cargó dos veces una orden, rechazó un archivo entero).

    Mientras un problema está abierto manda el cargo del banco: la orden cuenta como pagada
    y no se envía de nuevo. Termina con código 1 si queda alguno abierto.
    """
    params: dict[str, Any] = {"status": "all" if todos else "open"}
    if mes:
        params["period"] = mes
    found: list[dict[str, Any]] = Api(load_settings()).get(
        "payments", "/v1/payment-issues", **params
    )
    if as_json:
        print_json(found)
    else:
        table = Table(title="Problemas de pago" + (f" de {mes}" if mes else ""))
        for column in ("Problema", "Mes", "Qué pasó", "Monto (CLP)", "Resolución"):
            table.add_column(column, justify="right" if column.startswith("Monto") else "left")
        for issue in found:
            resolved = issue["resolution"]
            table.add_row(
                issue["id"],
                issue["period"],
                escape(f"{issue['kind_label']}: {issue['detail']}"),
                _clp(issue["amount"]) if issue["amount"] is not None else "",
                escape(f"{resolved} ({issue['resolved_by']})")
                if resolved
                else "[red]abierto[/red]",
            )
        console.print(table)
        if not found:
            console.print("[green]No hay problemas de pago abiertos.[/green]")
    if any(issue["resolution"] is None for issue in found):
        raise typer.Exit(ExitCode.FAILED)


@app.command("resolver")
def resolve(
    problema: str = typer.Argument(..., help="Id del problema (familias pagos problemas)"),
    como: Resolution = typer.Option(
        ...,
        "--como",
        help="pagada: el cargo del banco vale; no_pagada: el banco devolvió el cargo (la "
        "orden se paga de nuevo en el próximo ciclo); revisado: nada más que hacer",
    ),
    nota: str | None = typer.Option(None, "--nota", help="Qué se confirmó con el banco"),
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Resuelve un problema de pago según lo que confirmó el banco; queda en auditoría.

    Solo la encargada de pagos (rol encargado_pagos) o quien administre el programa.
    """
    answer: dict[str, Any] = Api(load_settings()).request(
        "payments",
        "POST",
        f"/v1/payment-issues/{problema}/resolution",
        json={"resolution": como.value, "notes": nota},
    )
    if as_json:
        print_json(answer)
        return
    console.print(
        f"[green]Problema resuelto como «{answer['resolution']}»:[/green] "
        f"{answer['kind_label']} ({answer['reference'] or answer['id']})"
    )


def _follow(api: Api, mes: str, *, quiet: bool) -> dict[str, Any]:
    """Poll the cycle's progress until it ends, with a bar of answered transfers."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=errors, disable=quiet, transient=True) as bar:
        task = bar.add_task("Ciclo de pagos", total=None)
        while True:
            try:
                answer: dict[str, Any] = api.get("supervision", f"/v1/payment-cycles/{mes}")
            except httpx.HTTPError:
                time.sleep(1)
                continue
            view = answer["cycle"]
            progress = view.get("progress") or {}
            answered = progress.get("settled", 0) + progress.get("rejected", 0)
            bar.update(
                task,
                description=f"Ciclo {mes}: {view['step']}",
                total=progress.get("transfers") or None,
                completed=answered,
            )
            if answer["status"] != "en curso":
                return answer
            time.sleep(1)


def _show(answer: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(answer)
        return
    view = answer["cycle"]
    progress = view.get("progress") or {}
    table = Table(title=f"Ciclo de pagos {view['period']} — {answer['status']} ({view['step']})")
    table.add_column("")
    table.add_column("Cantidad", justify="right")
    table.add_column("Monto (CLP)", justify="right")
    table.add_row(
        "Lotes armados / enviados", f"{view['batches_built']} / {view['batches_submitted']}", ""
    )
    if progress:
        table.add_row("Transferencias", str(progress["transfers"]), _clp(progress["amount"]))
        table.add_row("Pagadas", str(progress["settled"]), _clp(progress["settled_amount"]))
        table.add_row("Rechazadas", str(progress["rejected"]), _clp(progress["rejected_amount"]))
        table.add_row("Sin respuesta del banco", str(progress["in_flight"]), "")
        table.add_row("Para cobro presencial", str(progress["in_person_available"]), "")
        table.add_row("Caducadas", str(progress["expired"]), "")
        table.add_row(
            "Lotes sin enviar / por enviar / rechazados enteros",
            f"{progress.get('unsent_batches', 0)} / {progress.get('queued_batches', 0)}"
            f" / {progress.get('refused_batches', 0)}",
            "",
        )
        if progress.get("stranded_orders"):
            table.add_row(
                "[red]Órdenes varadas en lotes sin enviar[/red]",
                str(progress["stranded_orders"]),
                "",
            )
        if progress.get("overdue_in_flight"):
            table.add_row(
                "[red]Sin respuesta del banco pasado el plazo[/red]",
                str(progress["overdue_in_flight"]),
                "",
            )
        if progress.get("open_issues"):
            table.add_row(
                "[red]Problemas de pago sin resolver[/red]", str(progress["open_issues"]), ""
            )
    console.print(table)
    for reason, count in sorted((progress.get("rejected_by_reason") or {}).items()):
        console.print(f"  Rechazo: {reason}: {count}")
    if view.get("timed_out"):
        errors.print("[red]El banco no respondió todas las transferencias en el plazo.[/red]")
    for problem in progress.get("problems") or []:
        errors.print(f"[red]Revisar con el banco:[/red] {escape(problem)}")


def _clp(amount: int) -> str:
    return f"${amount:,}".replace(",", ".")
