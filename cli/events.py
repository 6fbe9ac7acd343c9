"""`familias eventos …`: events a consumer gave up on (dead letters), and a person's decision.

A dead letter keeps its family's later events waiting for that consumer until someone
decides: `reintentar` has the consumer apply it again (in its place, once), `descartar`
lets the family go on without it. The decision — who, when, why — is recorded in the
DEADLETTER stream next to the dead letter (shared/bus/deadletter.py), and the consumer
records there what it did.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.table import Table

from cli.api import current_user
from cli.output import ExitCode, console, errors, local_time, print_json
from shared.settings import Settings, load_settings

if TYPE_CHECKING:
    from shared.bus.client import Bus
    from shared.bus.deadletter import Entry, Outcome

# NATS and pydantic models are imported where they are used: other commands would pay
# for them at start-up for nothing.

app = typer.Typer(
    help="Eventos que un consumidor no pudo aplicar (cartas muertas): ver, reintentar, descartar.",
    no_args_is_help=True,
)

ID = typer.Argument(
    ..., help="Número de la carta muerta (columna ID de `listar`)", min=1, metavar="ID"
)
JSON = typer.Option(False, "--json", help="Salida JSON para scripts")

STATUS_LABELS = {
    "pendiente": "pendiente",
    "solicitada": "decidida, en espera del consumidor",
    "resuelta": "resuelta",
}
FAILURE_LABELS = {"final": "rechazo", "transitorio": "transitorio", "inesperado": "inesperado"}
RESULT_LABELS = {
    "aplicada": "reintentada y aplicada",
    "fallo": "reintentada, volvió a fallar",
    "descartada": "descartada",
    "sin_efecto": "sin efecto",
}

T = TypeVar("T")


def _run(work: Callable[[Bus], Awaitable[T]], settings: Settings | None = None) -> T:
    settings = settings or load_settings()

    async def connected() -> T:
        from shared.bus.client import Bus

        try:
            bus = await Bus.connect(settings, name="cli-eventos", wait_seconds=3)
        except Exception as exc:
            errors.print(f"[red]No se pudo conectar a NATS en {settings.effective_nats_url}.[/red]")
            raise typer.Exit(ExitCode.UNAVAILABLE) from exc
        try:
            return await work(bus)
        finally:
            await bus.close()

    return asyncio.run(connected())


def _short_subject(bus: Bus, subject: str) -> str:
    return subject.removeprefix(bus.subject(""))


def entry_json(bus: Bus, entry: Entry) -> dict[str, Any]:
    record = entry.record
    return {
        "id": entry.id,
        "status": entry.status.value,
        "consumer": record.consumer,
        "owner": record.owner,
        "stream": record.stream,
        "subject": _short_subject(bus, record.subject),
        "stream_sequence": record.stream_sequence,
        "family_id": record.family_id,
        "event_id": record.event_id,
        "attempts": record.attempts,
        "deliveries": record.deliveries,
        "failure": record.failure.value,
        "error": record.error,
        "dead_at": record.dead_at.isoformat(),
        "retry_of": record.retry_of,
        "settlement": (
            entry.settlement.model_dump(mode="json") | {"id": entry.settlement_id}
            if entry.settlement
            else None
        ),
        "outcome": entry.outcome.model_dump(mode="json") if entry.outcome else None,
    }


@app.command("listar")
def list_letters(
    todas: bool = typer.Option(False, "--todas", help="Incluir las ya resueltas"),
    consumidor: str | None = typer.Option(
        None, "--consumidor", help="Solo las de este consumidor (bridge, payments, plans…)"
    ),
    as_json: bool = JSON,
) -> None:
    """Las cartas muertas sin resolver (con --todas, también las resueltas)."""

    async def work(bus: Bus) -> None:
        from shared.bus.deadletter import Status, read_book

        entries = [
            entry
            for entry in (await read_book(bus)).values()
            if (todas or entry.status is not Status.SETTLED)
            and (consumidor is None or entry.record.consumer == consumidor)
        ]
        if as_json:
            print_json([entry_json(bus, entry) for entry in entries])
            return
        if not entries:
            console.print("No hay cartas muertas" + ("." if todas else " sin resolver."))
            return
        table = Table(title="Cartas muertas (eventos que un consumidor no pudo aplicar)")
        for column in ("ID", "Consumidor", "Evento", "Familia", "Intentos", "Desde", "Estado"):
            table.add_column(
                column, justify="right" if column in ("ID", "Intentos") else "left", overflow="fold"
            )
        table.add_column("Error", overflow="fold")
        for entry in entries:
            record = entry.record
            table.add_row(
                str(entry.id),
                f"{record.consumer} ← {record.owner}",
                _short_subject(bus, record.subject),
                record.family_id or "—",
                str(record.attempts),
                local_time(record.dead_at),
                _status_label(entry),
                f"({FAILURE_LABELS[record.failure.value]}) {record.error}",
            )
        console.print(table)
        console.print(
            "Ver una: familias eventos ver ID · reintentar: familias eventos reintentar ID · "
            'descartar: familias eventos descartar ID --motivo "…"'
        )

    _run(work)


@app.command("ver")
def show(dead_letter: int = ID, as_json: bool = JSON) -> None:
    """Una carta muerta: el evento, su error y lo que se decidió sobre ella."""

    async def work(bus: Bus) -> None:
        from shared.bus.deadletter import read_book

        entry = (await read_book(bus)).get(dead_letter)
        if entry is None:
            _not_found(dead_letter)
        assert entry is not None
        event = _event(entry)
        if as_json:
            print_json(entry_json(bus, entry) | {"headers": entry.record.headers, "event": event})
            return
        record = entry.record
        lines = [
            ("Consumidor", f"{record.consumer} (eventos de {record.owner}, flujo {record.stream})"),
            (
                "Evento",
                f"{_short_subject(bus, record.subject)} · secuencia {record.stream_sequence}",
            ),
            ("Id del evento", record.event_id or "—"),
            ("Familia", record.family_id or "—"),
            ("Error", f"({FAILURE_LABELS[record.failure.value]}) {record.error}"),
            ("Intentos", f"{record.attempts} (entregas: {record.deliveries})"),
            ("Carta muerta desde", local_time(record.dead_at)),
            ("Estado", _status_label(entry)),
        ]
        if record.retry_of is not None:
            lines.append(("Reintento de", f"carta {record.retry_of}"))
        if entry.settlement is not None:
            decided = entry.settlement
            lines.append(
                (
                    "Decisión",
                    f"{decided.action.value} por {decided.actor} el {local_time(decided.at)}"
                    + (f": {decided.reason}" if decided.reason else ""),
                )
            )
        if entry.outcome is not None:
            lines.append(("Resultado", _outcome_text(entry.outcome)))
        for label, value in lines:
            console.print(f"[bold]{label}:[/bold] {value}", highlight=False)
        console.print("[bold]Evento:[/bold]")
        console.print_json(json.dumps(event, ensure_ascii=False, default=str))

    _run(work)


@app.command("reintentar")
def retry(
    dead_letter: int = ID,
    motivo: str | None = typer.Option(None, "--motivo", help="Por qué se reintenta"),
    espera: float = typer.Option(
        30.0, "--espera", min=0, help="Segundos que se espera el resultado del consumidor"
    ),
    as_json: bool = JSON,
) -> None:
    """Pide al consumidor dueño que vuelva a aplicar el evento, en su lugar y una sola vez.

    Los eventos posteriores de la familia, detenidos detrás de él, siguen después.
    Termina con código 1 si vuelve a fallar (queda una carta muerta nueva).
    """
    _decide(dead_letter, "reintentar", motivo, espera, as_json)


@app.command("descartar")
def discard(
    dead_letter: int = ID,
    motivo: str = typer.Option(..., "--motivo", help="Por qué se descarta (queda registrado)"),
    espera: float = typer.Option(
        30.0, "--espera", min=0, help="Segundos que se espera el resultado del consumidor"
    ),
    as_json: bool = JSON,
) -> None:
    """Descarta el evento: nunca se aplicará, y la familia sigue con sus eventos siguientes."""
    if not motivo.strip():
        errors.print("[red]El motivo no puede quedar vacío.[/red]")
        raise typer.Exit(ExitCode.USAGE)
    _decide(dead_letter, "descartar", motivo, espera, as_json)


@dataclass
class Decided:
    entry_id: int
    consumer: str
    outcome: Outcome | None


def _decide(dead_letter: int, action: str, reason: str | None, wait: float, as_json: bool) -> None:
    actor = current_user()

    async def work(bus: Bus) -> Decided:
        from shared.bus.deadletter import (
            Action,
            AlreadySettled,
            Outcome,
            outcome_subject,
            read_book,
            settle,
        )

        entry = (await read_book(bus)).get(dead_letter)
        if entry is None:
            _not_found(dead_letter)
        assert entry is not None
        record = entry.record
        outcomes: asyncio.Queue[Outcome] = asyncio.Queue()

        async def heard(message: Any) -> None:
            outcome = Outcome.model_validate_json(message.data)
            if outcome.dead_letter == dead_letter:
                outcomes.put_nowait(outcome)

        listening = await bus.nc.subscribe(
            outcome_subject(bus, record.consumer, record.owner), cb=heard
        )
        try:
            try:
                await settle(bus, entry, Action(action), actor=actor, reason=reason)
            except AlreadySettled:
                fresh = (await read_book(bus)).get(dead_letter) or entry
                _already_settled(fresh)
            try:
                outcome = await asyncio.wait_for(outcomes.get(), timeout=wait)
            except TimeoutError:
                outcome = None
        finally:
            await listening.unsubscribe()
        return Decided(dead_letter, record.consumer, outcome)

    decided = _run(work)
    outcome = decided.outcome
    if as_json:
        print_json(
            {
                "id": decided.entry_id,
                "action": action,
                "actor": actor,
                "reason": reason,
                "outcome": outcome.model_dump(mode="json") if outcome else None,
            }
        )
    elif outcome is None:
        console.print(
            f"Decisión registrada ({action}, por {actor}). El consumidor {decided.consumer} "
            "no respondió todavía: la aplicará en cuanto esté en marcha."
        )
    else:
        color = "red" if outcome.result.value == "fallo" else "green"
        console.print(f"[{color}]Carta {decided.entry_id}: {_outcome_text(outcome)}[/{color}]")
    if outcome is not None and outcome.result.value == "fallo":
        raise typer.Exit(ExitCode.FAILED)


def _outcome_text(outcome: Outcome) -> str:
    text = RESULT_LABELS[outcome.result.value]
    if outcome.new_dead_letter is not None:
        text += f" (nueva carta muerta {outcome.new_dead_letter})"
    if outcome.detail:
        text += f": {outcome.detail}"
    return f"{text} — {local_time(outcome.at)}"


def _status_label(entry: Entry) -> str:
    if entry.outcome is not None:
        return RESULT_LABELS[entry.outcome.result.value]
    return STATUS_LABELS[entry.status.value]


def _event(entry: Entry) -> Any:
    data = entry.record.original()
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


def _not_found(dead_letter: int) -> None:
    errors.print(f"[red]No existe la carta muerta {dead_letter}.[/red]")
    raise typer.Exit(ExitCode.NOT_FOUND)


def _already_settled(entry: Entry) -> None:
    decided = entry.settlement
    who = (
        f": {decided.action.value} por {decided.actor} el {local_time(decided.at)}"
        if decided
        else ""
    )
    errors.print(f"[red]La carta muerta {entry.id} ya tiene una decisión{who}.[/red]")
    raise typer.Exit(ExitCode.REFUSED)


async def summary(bus: Bus) -> list[dict[str, Any]]:
    """Per consumer: unresolved dead letters (how many, the oldest) and the families whose
    events wait behind a failing one (a dead letter or a retry under way). For `estado`."""
    from shared.bus.deadletter import Status, read_book
    from shared.bus.lanes import LaneState, read_lanes

    pending: dict[tuple[str, str], list[datetime]] = {}
    for entry in (await read_book(bus)).values():
        if entry.status is not Status.SETTLED:
            key = (entry.record.consumer, entry.record.owner)
            pending.setdefault(key, []).append(entry.record.dead_at)
    stopped: dict[tuple[str, str], int] = {}
    retrying: dict[tuple[str, str], int] = {}
    for owner, durable, lane in await read_lanes(bus):
        stopped[(durable, owner)] = stopped.get((durable, owner), 0) + 1
        if lane.state is LaneState.RETRYING:
            retrying[(durable, owner)] = retrying.get((durable, owner), 0) + 1
    return [
        {
            "consumidor": consumer,
            "eventos_de": owner,
            "cartas_muertas": len(pending.get((consumer, owner), [])),
            "mas_antigua": (
                min(pending[(consumer, owner)]).isoformat()
                if (consumer, owner) in pending
                else None
            ),
            "familias_detenidas": stopped.get((consumer, owner), 0),
            "reintentando": retrying.get((consumer, owner), 0),
        }
        for consumer, owner in sorted(set(pending) | set(stopped))
    ]
