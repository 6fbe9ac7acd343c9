"""`familias estado`: is every server and process of the stack up, and has any consumer
given up on an event (dead letters, `familias eventos`)?"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import typer
from rich.table import Table

from cli.output import ExitCode, console, local_time, print_json
from shared.settings import Settings, load_settings

# asyncpg, NATS and the Temporal SDK are imported where they are used: loading them costs
# about a second, which every other `familias` command would pay at start-up for nothing.

BACKGROUND = ("worker", "bridge", "relay-intake", "relay-plans", "relay-payments")
SERVICES = {
    "intake": "Servicio de ingreso",
    "plans": "Servicio de planes",
    "payments": "Servicio de pagos",
    "supervision": "Consola de supervisión",
}
BACKGROUND_LABELS = {
    "worker": "Worker de Temporal",
    "bridge": "Puente bus → Temporal",
    "relay-intake": "Relay outbox ingreso",
    "relay-plans": "Relay outbox planes",
    "relay-payments": "Relay outbox pagos",
}


@dataclass
class Check:
    component: str
    ok: bool
    detail: str


async def _postgres(settings: Settings) -> Check:
    import asyncpg

    from shared.db.engine import asyncpg_dsn

    try:
        connection = await asyncpg.connect(asyncpg_dsn(settings.server_database_url), timeout=3)
        version = await connection.fetchval("SHOW server_version")
        await connection.close()
        return Check("PostgreSQL", True, f"versión {version}")
    except Exception as exc:
        return Check("PostgreSQL", False, f"no responde: {exc}")


async def _temporal(settings: Settings) -> Check:
    from shared.temporal import connect_temporal

    try:
        client = await connect_temporal(settings, wait_seconds=2)
        await client.service_client.check_health()
        return Check("Temporal", True, settings.effective_temporal_address)
    except Exception as exc:
        return Check("Temporal", False, f"no responde: {exc}")


async def _service(settings: Settings, http: httpx.AsyncClient, name: str) -> Check:
    url = f"{settings.service_url(name)}/readyz"
    try:
        response = await http.get(url)
        body = response.json()
    except Exception:
        return Check(SERVICES[name], False, f"no responde en {settings.service_url(name)}")
    failing = {k: v for k, v in body.get("dependencies", {}).items() if v != "ok"}
    if response.status_code == 200:
        return Check(SERVICES[name], True, settings.service_url(name))
    return Check(SERVICES[name], False, f"no listo: {failing}")


async def _bus_and_background(settings: Settings) -> list[Check]:
    from shared.bus.client import Bus
    from shared.bus.heartbeat import read_heartbeats

    try:
        bus = await Bus.connect(settings, name="cli-estado", wait_seconds=2)
    except Exception:
        return [Check("NATS", False, f"no responde en {settings.effective_nats_url}")] + [
            Check(BACKGROUND_LABELS[name], False, "sin latido (NATS caído)") for name in BACKGROUND
        ]
    try:
        beats = await read_heartbeats(bus)
    finally:
        await bus.close()
    checks = [Check("NATS", True, settings.effective_nats_url)]
    for name in BACKGROUND:
        beat = beats.get(name)
        if beat:
            checks.append(Check(BACKGROUND_LABELS[name], True, f"pid {beat.get('pid')}"))
        else:
            checks.append(Check(BACKGROUND_LABELS[name], False, "sin latido reciente"))
    return checks


async def collect(settings: Settings) -> list[Check]:
    async with httpx.AsyncClient(timeout=3) as http:
        results: list[Check | list[Check]] = await asyncio.gather(
            _postgres(settings),
            _temporal(settings),
            _bus_and_background(settings),
            *(_service(settings, http, name) for name in SERVICES),
        )
    checks: list[Check] = []
    for result in results:
        checks.extend(result if isinstance(result, list) else [result])
    return checks


async def dead_letters(settings: Settings) -> list[dict[str, Any]] | None:
    """Dead letters and stopped families per consumer; None when NATS does not answer."""
    from cli.events import summary
    from shared.bus.client import Bus

    try:
        bus = await Bus.connect(settings, name="cli-estado-eventos", wait_seconds=2)
    except Exception:
        return None
    try:
        return await summary(bus)
    except Exception:
        return None
    finally:
        await bus.close()


async def _everything(settings: Settings) -> tuple[list[Check], list[dict[str, Any]] | None]:
    checks, consumers = await asyncio.gather(collect(settings), dead_letters(settings))
    return checks, consumers


def status(
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Muestra si cada servidor y proceso del sistema está funcionando, y las cartas
    muertas (eventos que un consumidor no pudo aplicar) por consumidor."""
    checks, consumers = asyncio.run(_everything(load_settings()))
    if as_json:
        print_json(
            {
                "componentes": [
                    {"componente": c.component, "ok": c.ok, "detalle": c.detail} for c in checks
                ],
                "cartas_muertas": consumers,
            }
        )
    else:
        table = Table(title="Estado del sistema Familias")
        table.add_column("Componente")
        table.add_column("Estado")
        table.add_column("Detalle")
        for check in checks:
            mark = "[green]funcionando[/green]" if check.ok else "[red]caído[/red]"
            table.add_row(check.component, mark, check.detail)
        console.print(table)
        _print_dead_letters(consumers)
    if not all(check.ok for check in checks):
        raise typer.Exit(ExitCode.UNAVAILABLE)


def _print_dead_letters(consumers: list[dict[str, Any]] | None) -> None:
    if consumers is None:
        console.print("Cartas muertas: no se pudieron leer (NATS no responde).")
        return
    if not consumers:
        console.print("Cartas muertas: ninguna. Ninguna familia tiene eventos detenidos.")
        return
    table = Table(title="Cartas muertas y familias detenidas, por consumidor")
    table.add_column("Consumidor")
    table.add_column("Cartas muertas", justify="right")
    table.add_column("La más antigua")
    table.add_column("Familias detenidas", justify="right")
    table.add_column("Reintentando", justify="right")
    for row in consumers:
        count = row["cartas_muertas"]
        table.add_row(
            f"{row['consumidor']} ← {row['eventos_de']}",
            f"[yellow]{count}[/yellow]" if count else "0",
            local_time(row["mas_antigua"]),
            str(row["familias_detenidas"]),
            str(row["reintentando"]),
        )
    console.print(table)
    console.print("Detalle y decisiones: familias eventos listar")
