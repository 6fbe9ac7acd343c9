"""The `familias` command, run as a user runs it: a real process against the running system."""

from __future__ import annotations

import getpass
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
    answer = json.loads(result.stdout)
    components = {c["componente"]: c for c in answer["componentes"]}
    assert {"PostgreSQL", "Temporal", "NATS"} <= set(components)
    assert len(components) >= 12, components  # 3 servers + 4 services + 5 background
    assert all(c["ok"] for c in components.values())
    # No consumer gave up on an event (dead letters; the families they stop are listed too).
    assert not [row for row in answer["cartas_muertas"] if row["cartas_muertas"]]

    table = familias(system.settings, "estado")
    assert table.returncode == 0
    assert "Estado del sistema Familias" in table.stdout
    assert "caído" not in table.stdout


def test_estado_with_nothing_running_says_what_is_down_and_fails(tmp_path: Path) -> None:
    nothing = free_port_settings(tmp_path)  # free ports where nothing listens
    result = familias(nothing, "estado", "--json")
    assert result.returncode == 5
    components = json.loads(result.stdout)["componentes"]
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
    run = payload["members"][1]["run"]  # any member finds the family

    async def shown() -> dict[str, Any]:
        result = familias(system.settings, "familia", "ver", run, "--json")
        assert result.returncode == 0, result.stderr
        report: dict[str, Any] = json.loads(result.stdout)
        return report

    report = await eventually(
        shown, until=lambda r: r["proceso"] and r["proceso"]["phase"] == "contacto", timeout=60
    )
    assert report["family_code"] == payload["family_code"]
    kinds = [entry["kind"] for entry in report["linea_de_tiempo"]]
    assert {"derivacion", "expediente", "fase"} <= set(kinds)

    human = familias(system.settings, "familia", "ver", run)
    assert human.returncode == 0
    assert payload["family_code"] in human.stdout
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


SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "nomina" / "nomina-ejemplo.csv"


@pytest.mark.e2e
async def test_nomina_importar_starts_one_lifecycle_per_family_and_a_second_run_changes_nothing(
    system: LocalStack, tmp_path: Path
) -> None:
    args = ("nomina", "importar", str(SAMPLE), "--comuna", "Conchalí", "--anio", "2026")
    first = familias(system.settings, *args, "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["families_imported"] == [f"CON-2026-000{n}" for n in range(1, 6)]
    assert summary["families_rejected"] == []
    assert summary["errors"] == []

    async def phases() -> list[str | None]:
        found = []
        for run in ("15.234.567-4", "12876543-3", "9876543-3", "8765432-k", "22987654-6"):
            result = familias(system.settings, "familia", "ver", run, "--json")
            report = json.loads(result.stdout)
            found.append(report["proceso"]["phase"] if report["proceso"] else None)
        return found

    assert await eventually(phases, until=lambda p: p == ["contacto"] * 5, timeout=60)

    # Found by the son's RUN. Father and son are adults whatever day this runs (the system
    # is on the real clock), so the rule's answer never changes: the man head of household.
    shown = familias(system.settings, "familia", "ver", "11.222.333-9", "--json")
    report = json.loads(shown.stdout)
    assert report["family_code"] == "CON-2026-0003"
    assert report["representative"]["run"] == "98765433"
    assert report["representative"]["reason"] == "hombre_jefe"

    second = familias(system.settings, *args)
    assert second.returncode == 0
    assert "ya fue importado" in second.stdout


@pytest.mark.e2e
def test_nomina_importar_with_bad_rows_reports_them_and_exits_refused(
    system: LocalStack, tmp_path: Path
) -> None:
    bad = tmp_path / "mala.csv"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("15.234.567-4", "15.234.567-5").replace("CON-2026", "MAL-2026")
    bad.write_text("\n".join(lines[:2]) + "\n", encoding="cp1252")
    result = familias(
        system.settings, "nomina", "importar", str(bad), "--comuna", "Renca", "--anio", "2026",
        "--json",
    )  # fmt: skip
    assert result.returncode == 4
    report = json.loads(result.stdout)
    assert report["families_rejected"] == ["MAL-2026-0001"]
    assert report["errors"][0]["line"] == 2
    assert report["errors"][0]["column"] == "run"
    assert report["errors"][0]["value"] == "**.***.567-5"

    saved = tmp_path / "errores.xlsx"
    download = familias(
        system.settings, "nomina", "informe", report["import_id"], "--formato", "xlsx",
        "-o", str(saved),
    )  # fmt: skip
    assert download.returncode == 0, download.stderr
    assert saved.read_bytes()[:2] == b"PK"


@pytest.mark.e2e
async def test_operators_decide_through_the_cli_and_illegal_steps_are_refused(
    system: LocalStack,
) -> None:
    payload = family_payload()
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(
            f"{system.settings.service_url('intake')}/v1/families", json=payload
        )
    assert created.status_code == 201, created.text
    run = payload["members"][0]["run"]

    async def phase() -> str | None:
        report = json.loads(familias(system.settings, "familia", "ver", run, "--json").stdout)
        return report["proceso"]["phase"] if report["proceso"] else None

    await eventually(phase, until=lambda p: p == "contacto", timeout=60)
    paused = familias(
        system.settings, "familia", "pausar", run, "--motivo", "Revisión de antecedentes"
    )
    assert paused.returncode == 0, paused.stderr
    assert "Contacto" in paused.stdout
    refused = familias(
        system.settings,
        "familia",
        "decidir-abandono",
        run,
        "--confirmar",
        "--motivo",
        "Sin contacto",
    )
    assert refused.returncode == 4
    assert "No hay un procedimiento de abandono abierto" in refused.stderr
    resumed = familias(system.settings, "familia", "reanudar", run, "--motivo", "Revisión lista")
    assert resumed.returncode == 0, resumed.stderr
    closed = familias(
        system.settings, "familia", "cerrar", run, "--causal", "renuncia", "--motivo",
        "La familia renuncia por escrito", "--json",
    )  # fmt: skip
    assert closed.returncode == 0, closed.stderr
    assert json.loads(closed.stdout)["exit_cause"] == "renuncia"

    async def intake_state() -> str:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(
                f"{system.settings.service_url('intake')}/v1/families/{created.json()['id']}"
            )
        return str(response.json()["status"])

    await eventually(intake_state, until=lambda s: s == "closed", timeout=30)
    report = json.loads(familias(system.settings, "familia", "ver", run, "--json").stdout)
    actors = {e["actor"] for e in report["linea_de_tiempo"] if e["kind"] in ("pausa", "decision")}
    assert actors == {os.environ.get("FAMILIAS_USUARIO") or getpass.getuser()}


@pytest.mark.e2e
async def test_a_professional_records_the_facts_with_the_cli_and_the_process_follows(
    system: LocalStack,
) -> None:
    payload = family_payload()
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(
            f"{system.settings.service_url('intake')}/v1/families", json=payload
        )
    assert created.status_code == 201, created.text
    run = payload["members"][0]["run"]

    async def phase() -> str | None:
        report = json.loads(familias(system.settings, "familia", "ver", run, "--json").stdout)
        return report["proceso"]["phase"] if report["proceso"] else None

    await eventually(phase, until=lambda p: p == "contacto", timeout=60)
    steps = [
        ("contacto", run, "--canal", "telefono", "--resultado", "no_localizada"),
        ("contacto", run, "--canal", "visita", "--resultado", "localizada"),
        ("invitacion", run, "--acepta"),
        ("compromiso", run, "--documento", "carta-0001.pdf"),
    ]
    for step in steps:
        result = familias(system.settings, "familia", *step)
        assert result.returncode == 0, (step, result.stderr)
    await eventually(phase, until=lambda p: p == "diagnostico", timeout=60)

    async def session() -> subprocess.CompletedProcess[str]:
        return familias(
            system.settings, "familia", "sesion", run, "--tipo", "aps_individual",
            "--dimension", "salud", "--json",
        )  # fmt: skip

    # Plans learns of the commitment from the intake stream; until then it refuses with why.
    recorded = await eventually(session, until=lambda r: r.returncode == 0, timeout=60)
    assert json.loads(recorded.stdout)["kind_label"] == "APS individual"
    early = familias(system.settings, "familia", "invitacion", run, "--rechaza")
    assert early.returncode == 4  # already invited; and a decline needs a reason

    indicators = [
        "inscripcion_salud", "controles_al_dia", "asistencia_escolar", "nivelacion_estudios",
        "empleo", "cotizacion", "ingresos_autonomos", "beneficios", "habitabilidad", "entorno",
    ]  # fmt: skip
    levels = [arg for code in indicators for arg in ("--indicador", f"{code}=2")]
    diagnosed = familias(system.settings, "familia", "diagnostico", run, *levels, "--completar")
    assert diagnosed.returncode == 0, diagnosed.stderr
    assert "completado" in diagnosed.stdout
    await eventually(phase, until=lambda p: p == "plan", timeout=60)
    planned = familias(
        system.settings, "familia", "plan", run, "--meta", "salud:Inscribir a todos en el CESFAM",
        "--meta", "educacion:Asistencia escolar sobre 85 %", "--firmar",
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    assert "firmado" in planned.stdout
    await eventually(phase, until=lambda p: p == "acompanamiento", timeout=60)


@pytest.mark.e2e
def test_pagos_calendario_answers_how_much_a_family_will_receive(system: LocalStack) -> None:
    result = familias(system.settings, "pagos", "calendario", "--inicio", "2024-02", "--json")
    assert result.returncode == 0, result.stderr
    months = json.loads(result.stdout)
    assert len(months) == 24
    assert {"period", "plan_month", "concept", "amount"} <= set(months[0])
    assert sum(m["amount"] for m in months) == 446_010
    table = familias(system.settings, "pagos", "calendario", "--inicio", "2024-02")
    assert "Total: $446.010" in table.stdout


@pytest.mark.e2e
async def test_familia_listar_filters_running_families_by_phase(system: LocalStack) -> None:
    payload = family_payload(comuna="Lista")
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(
            f"{system.settings.service_url('intake')}/v1/families", json=payload
        )
    family_id = created.json()["id"]

    async def listed() -> list[dict[str, Any]]:
        result = familias(
            system.settings,
            "familia",
            "listar",
            "--fase",
            "contacto",
            "--comuna",
            "Lista",
            "--json",
        )
        assert result.returncode == 0, result.stderr
        return list(json.loads(result.stdout))

    found = await eventually(listed, until=lambda f: any(x["family_id"] == family_id for x in f))
    mine = next(x for x in found if x["family_id"] == family_id)
    assert mine["phase"] == "contacto"
    assert mine["next_deadline"] is not None
    overdue = familias(
        system.settings, "familia", "listar", "--vencidas", "--comuna", "Lista", "--json"
    )
    assert family_id not in overdue.stdout  # its contact deadline is 30 days away
