"""`familias eventos` and the dead letters in `familias estado`, run as a person runs them,
against a consumer running in this process on the session's NATS."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from shared.bus import deadletter
from shared.bus.client import Bus
from shared.errors import IllegalTransition
from shared.settings import Settings, child_environment
from tests.shared.bus.test_consumer import (
    Families,
    Script,
    always,
    book,
    consumer_settings,
    consuming,
    publish,
)
from tests.support.waiting import eventually

FAMILIAS = Path(sys.executable).parent / "familias"


@pytest.fixture
async def own_bus(settings: Settings) -> AsyncIterator[Bus]:
    bus = await Bus.connect(consumer_settings(settings), name="tests-cli-eventos")
    await bus.ensure_stream("intake")
    yield bus
    await bus.close()


async def familias(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process; this test's consumer keeps running meanwhile."""
    env = child_environment(settings, os.environ) | {"COLUMNS": "200", "FAMILIAS_USUARIO": "ana"}
    return await asyncio.to_thread(
        subprocess.run,
        [str(FAMILIAS), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


async def as_json(settings: Settings, *args: str) -> Any:
    result = await familias(settings, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def test_people_see_dead_letters_and_retry_or_discard_them(own_bus: Bus) -> None:
    settings = own_bus.settings
    families = Families()
    script = Script(
        failures={
            "A1": always(KeyError("family_code")),
            "C1": always(IllegalTransition("No corresponde")),
        }
    )
    await publish(own_bus, families, "A1", "A2", "C1", "C2", "B1")
    async with consuming(own_bus, script):
        entries = await eventually(lambda: book(own_bus), until=lambda e: len(e) == 2)
        (retried,) = [e for e in entries if e.record.family_id == families["A"]]
        (discarded,) = [e for e in entries if e.record.family_id == families["C"]]
        await eventually(lambda: _now(script.applied), until=lambda a: a == ["B1"])

        # `estado` counts them per consumer, with the families they stop.
        status = await familias(settings, "estado", "--json")
        assert status.returncode == 5, status.stderr  # the services do not run here
        assert json.loads(status.stdout)["cartas_muertas"] == [
            {
                "consumidor": "pruebas",
                "eventos_de": "intake",
                "cartas_muertas": 2,
                "mas_antigua": min(e.record.dead_at for e in entries).isoformat(),
                "familias_detenidas": 2,
                "reintentando": 0,
            }
        ]
        table = await familias(settings, "estado")
        assert "Cartas muertas y familias detenidas" in table.stdout
        assert "pruebas ← intake" in table.stdout

        listed = await as_json(settings, "eventos", "listar")
        assert [(e["id"], e["status"], e["subject"]) for e in listed] == [
            (entry.id, "pendiente", "intake.evt.v1.family.updated") for entry in entries
        ]
        by_id = {e["id"]: e for e in listed}
        assert by_id[retried.id]["error"] == "KeyError: 'family_code'"
        assert by_id[retried.id]["attempts"] == 3
        assert by_id[discarded.id]["failure"] == "final"
        table = await familias(settings, "eventos", "listar")
        assert table.returncode == 0
        assert "Cartas muertas" in table.stdout
        assert "KeyError" in table.stdout

        shown = await as_json(settings, "eventos", "ver", str(retried.id))
        assert shown["event"]["data"] == {"label": "A1"}
        assert shown["family_id"] == families["A"]
        assert (await familias(settings, "eventos", "ver", "999")).returncode == 3

        # Retry: the consumer applies it in its place, then the family's next event.
        script.failures.pop("A1")
        answer = await as_json(settings, "eventos", "reintentar", str(retried.id))
        assert answer["outcome"]["result"] == "aplicada"
        await eventually(lambda: _now(script.of("A")), until=lambda a: a == ["A1", "A2"])
        again = await familias(settings, "eventos", "reintentar", str(retried.id))
        assert again.returncode == 4
        assert "ya tiene una decisión" in again.stderr

        # Discard: needs a reason, is never applied, and the family goes on.
        unexplained = await familias(settings, "eventos", "descartar", str(discarded.id))
        assert unexplained.returncode == 2
        done = await familias(
            settings, "eventos", "descartar", str(discarded.id), "--motivo", "Evento duplicado"
        )
        assert done.returncode == 0, done.stderr
        assert "descartada" in done.stdout
        await eventually(lambda: _now(script.of("C")), until=lambda a: a == ["C2"])

        audited = await as_json(settings, "eventos", "ver", str(discarded.id))
        assert audited["settlement"]["actor"] == "ana"
        assert audited["settlement"]["reason"] == "Evento duplicado"
        assert audited["settlement"]["action"] == "descartar"
        assert audited["outcome"]["result"] == "descartada"

        assert await as_json(settings, "eventos", "listar") == []
        everything = await as_json(settings, "eventos", "listar", "--todas")
        assert [e["status"] for e in everything] == ["resuelta", "resuelta"]
        status = await familias(settings, "estado", "--json")
        assert json.loads(status.stdout)["cartas_muertas"] == []
    assert script.attempts["C1"] == 1
    assert sorted(script.applied) == ["A1", "A2", "B1", "C2"]
    assert [e.status for e in await book(own_bus)] == [deadletter.Status.SETTLED] * 2


async def _now(value: list[str]) -> list[str]:
    return value
