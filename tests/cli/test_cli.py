"""The `familias` command, run as a user runs it: a real process against the running system."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.stack import LocalStack
from shared.settings import Settings, child_environment
from tests.support.data import family_payload
from tests.support.stack import free_port_settings
from tests.support.waiting import eventually

FAMILIAS = Path(sys.executable).parent / "familias"


def familias(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = child_environment(settings, os.environ) | {"COLUMNS": "200"}
    return subprocess.run(
        [str(FAMILIAS), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.e2e
async def test_estado_reports_every_server_and_process_as_running(system: LocalStack) -> None:
    async def report() -> subprocess.CompletedProcess[str]:
        return familias(system.settings, "estado", "--json")

    # Heartbeats of the background processes arrive within a few seconds of their start.
    result = await eventually(report, until=lambda r: r.returncode == 0, timeout=30)
    components = {c["componente"]: c for c in json.loads(result.stdout)}
    assert {"PostgreSQL", "Temporal", "NATS"} <= set(components)
    assert len(components) >= 12, components  # 3 servers + 4 services + 5 background
    assert all(c["ok"] for c in components.values())

    table = familias(system.settings, "estado")
    assert table.returncode == 0
    assert "Estado del sistema Familias" in table.stdout
    assert "caído" not in table.stdout


def test_estado_with_nothing_running_says_what_is_down_and_fails(tmp_path: Path) -> None:
    nothing = free_port_settings(tmp_path)  # free ports where nothing listens
    result = familias(nothing, "estado", "--json")
    assert result.returncode == 5
    components = json.loads(result.stdout)
    assert components
    assert not any(c["ok"] for c in components)


@pytest.mark.e2e
async def test_familia_ver_shows_the_phase_and_timeline(system: LocalStack) -> None:
    payload = family_payload()
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(
            f"{system.settings.service_url('intake')}/v1/families", json=payload
        )
    assert created.status_code == 201, created.text
    run = payload["miembros"][1]["run"]  # any member finds the family

    async def shown() -> dict[str, Any]:
        result = familias(system.settings, "familia", "ver", run, "--json")
        assert result.returncode == 0, result.stderr
        report: dict[str, Any] = json.loads(result.stdout)
        return report

    report = await eventually(shown, until=lambda r: len(r["linea_de_tiempo"]) == 2, timeout=60)
    assert report["id_familia"] == payload["id_familia"]
    assert report["proceso"]["phase"] == "derivacion"
    kinds = [entry["kind"] for entry in report["linea_de_tiempo"]]
    assert sorted(kinds) == ["derivacion", "expediente"]

    human = familias(system.settings, "familia", "ver", run)
    assert human.returncode == 0
    assert payload["id_familia"] in human.stdout
    assert "Línea de tiempo" in human.stdout


@pytest.mark.e2e
def test_familia_ver_with_an_unknown_run_says_so(system: LocalStack) -> None:
    result = familias(system.settings, "familia", "ver", "11.111.111-1")
    assert result.returncode == 3
    assert "No hay familias con el RUN 11.111.111-1" in result.stderr


def test_familia_ver_with_a_malformed_rut_is_a_usage_error(tmp_path: Path) -> None:
    result = familias(free_port_settings(tmp_path), "familia", "ver", "12.345.678-0")
    assert result.returncode == 2
    assert "RUT" in result.stderr or "RUN" in result.stderr
    assert "Traceback" not in result.stderr
