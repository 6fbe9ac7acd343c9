"""Two families of the sample nómina driven with the `familias` CLI alone, 24 months skipped.

The issue's "done when" (FamilyLifecycle): a family imported from `docs/nomina/` goes from
referral to `cumplimiento`, another to `abandono` through the procedure, every step in
`linea_de_tiempo` — in one time-skipped run.

How time works here (the decision; workflows/README.md, "Time-skipped runs"):

- The workflows run on Temporal's time-skipping test server. It starts at the real now and
  only moves forward, when the *test* skips it (`env.sleep`); the CLI never touches the
  clock. The bridge, supervision and the CLI use plain clients, so nothing else unlocks it.
- The services refuse facts dated in the future (a session, a plan signature, an
  abandonment visit), and the workflow counts a month's sessions by their date in that
  calendar month. Plan month 1 is the month *after* signing, so every month the workflow
  counts lies in the real future: with the services on the real clock no session could be
  recorded in it, and backdating is impossible too (nothing may precede the referral, which
  is the import day). So the services' "today" follows the test server: each service's
  `ServiceRuntime.clock` is set to real time plus the offset the test has skipped
  (`SkippedClock`), re-measured after every skip. Services, workflows and the dates the
  professional types (`--fecha`) then all live in the same skipped month, exactly as they
  would in production where they share one real clock. Nothing is mocked: real HTTP, NATS,
  PostgreSQL, relays, bridge and worker, in this process; the CLI as a subprocess.
- Month by month the test skips to the 10th of plan month m and records that month's
  session dated that day; crossing the next month boundary, the workflow asks plans for
  the month's sessions and finds it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import date, datetime
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from shared.settings import Settings
from tests.support.timeskip import (
    SANTIAGO,
    CliResult,
    TimeSkippedSystem,
    time_skipped_system,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "nomina" / "nomina-ejemplo.csv"
COMPLETES = "15.234.567-4"  # CON-2026-0001, María José Contreras, representative
ABANDONS = "13.987.654-7"  # CON-2026-0002, Carolina Rojas (any member finds the family)
PROFESSIONAL = "afi.camila"
UNIT_HEAD = "jefa.unidad"
INDICATORS = [
    "inscripcion_salud", "controles_al_dia", "asistencia_escolar", "nivelacion_estudios",
    "empleo", "cotizacion", "ingresos_autonomos", "beneficios", "habitabilidad", "entorno",
]  # fmt: skip


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def noon(day: date) -> datetime:
    return datetime.combine(day, clock_time(12), tzinfo=SANTIAGO)


@pytest.fixture
async def skipped(settings: Settings, tmp_path: Path) -> AsyncIterator[TimeSkippedSystem]:
    async with time_skipped_system(settings, tmp_path) as system:
        yield system


async def ok(system: TimeSkippedSystem, *args: str, user: str = PROFESSIONAL) -> CliResult:
    result = await system.familias(*args, user=user)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


async def shown(system: TimeSkippedSystem, run: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((await ok(system, "familia", "ver", run, "--json")).stdout)
    return report


def process(report: dict[str, Any]) -> dict[str, Any]:
    return report["proceso"] or {}


def descriptions(report: dict[str, Any], kind: str | None = None) -> list[str]:
    return [e["description"] for e in report["linea_de_tiempo"] if kind in (None, e["kind"])]


async def to_accompaniment(system: TimeSkippedSystem, run: str) -> list[str]:
    """Contact → invitation → carta → diagnosis → signed plan, as the professional types
    them; returns the plan's goal ids."""
    day = system.clock.today().isoformat()
    family = ("familia",)
    await ok(system, *family, "contacto", run, "--canal", "telefono",
             "--resultado", "no_localizada", "--fecha", day)  # fmt: skip
    await ok(system, *family, "contacto", run, "--canal", "visita",
             "--resultado", "localizada", "--fecha", day)  # fmt: skip
    await ok(system, *family, "invitacion", run, "--acepta", "--fecha", day)
    await ok(system, *family, "compromiso", run, "--documento", "carta.pdf", "--fecha", day)
    levels = [arg for code in INDICATORS for arg in ("--indicador", f"{code}=1")]

    async def diagnose() -> CliResult:
        return await system.familias(*family, "diagnostico", run, *levels, "--completar")

    # Plans learns of the carta from intake's stream; until then it refuses, saying why.
    await eventually(diagnose, until=lambda r: r.returncode == 0, timeout=30, interval=0.3)
    planned = await ok(
        system, *family, "plan", run, "--meta", "salud:Inscribir a todos en el CESFAM",
        "--meta", "trabajo:Un adulto con contrato", "--firmar", "--fecha", day, "--json",
    )  # fmt: skip
    return [goal["id"] for goal in json.loads(planned.stdout)["goals"]]


async def phase_of(system: TimeSkippedSystem, run: str) -> str | None:
    phase: str | None = process(await shown(system, run)).get("phase")
    return phase


async def abandonment_through_the_procedure(system: TimeSkippedSystem, run: str) -> None:
    """Two months without sessions opened the procedure: the documented home visit, then
    the Jefe/a de Unidad's decision."""
    report = await shown(system, run)
    assert process(report)["waiting_for"] == "visita domiciliaria por abandono", report
    today = system.clock.today()
    await ok(system, "familia", "abandono", run, "--tipo", "aviso", "--fecha",
             today.replace(day=3).isoformat(),
             "--contenido", "Carta de aviso entregada en el domicilio")  # fmt: skip
    await ok(system, "familia", "abandono", run, "--tipo", "visita", "--fecha", today.isoformat(),
             "--contenido", "Visita domiciliaria: la familia no desea continuar")  # fmt: skip

    async def waiting() -> str | None:
        value: str | None = process(await shown(system, run)).get("waiting_for")
        return value

    # The visit reaches the workflow through plans' stream and the bridge.
    await eventually(waiting, until=lambda w: bool(w and "decisión" in w), timeout=30)
    decided = await ok(
        system, "familia", "decidir-abandono", run, "--confirmar",
        "--motivo", "Sin sesiones desde el inicio; la familia no desea continuar", "--json",
        user=UNIT_HEAD,
    )  # fmt: skip
    assert json.loads(decided.stdout)["exit_cause"] == "abandono"


async def test_two_sample_families_to_cumplimiento_and_abandono_with_the_cli_alone(
    skipped: TimeSkippedSystem,
) -> None:
    started = time.perf_counter()
    system = skipped
    imported = await ok(
        system, "nomina", "importar", str(SAMPLE), "--comuna", "Conchalí", "--anio", "2026",
        "--json",
    )  # fmt: skip
    assert json.loads(imported.stdout)["families_imported"] == [
        f"CON-2026-000{n}" for n in range(1, 6)
    ]
    for run in (COMPLETES, ABANDONS):
        await eventually(partial(phase_of, system, run), until=lambda p: p == "contacto")

    signed_on = system.clock.today()
    goals, _ = await asyncio.gather(
        to_accompaniment(system, COMPLETES), to_accompaniment(system, ABANDONS)
    )
    for run in (COMPLETES, ABANDONS):
        await eventually(partial(phase_of, system, run), until=lambda p: p == "acompanamiento")
    first_month = add_months(signed_on.replace(day=1), 1)  # policy: the month after signing
    set_up = time.perf_counter() - started

    # 24 plan months: the test skips to the 10th of each; the professional records that
    # month's session. The other family has none: after two months its procedure opens.
    for month in range(1, 25):
        day = add_months(first_month, month - 1).replace(day=10)
        await system.skip_to(noon(day))
        assert system.clock.today() == day
        if month == 3:
            await abandonment_through_the_procedure(system, ABANDONS)
        await ok(system, "familia", "sesion", COMPLETES, "--tipo", "aps_individual",
                 "--dimension", "salud", "--fecha", day.isoformat())  # fmt: skip
    await system.skip_to(noon(add_months(first_month, 24).replace(day=2)))
    assert await phase_of(system, COMPLETES) == "evaluacion"
    levels = [arg for code in INDICATORS for arg in ("--indicador", f"{code}=3")]
    achieved = [arg for goal in goals for arg in ("--meta-lograda", goal)]
    await ok(system, "familia", "evaluacion", COMPLETES, *levels, *achieved)

    # The first family: every step in its timeline, ending in cumplimiento.
    def finished(report: dict[str, Any]) -> bool:
        return (
            process(report).get("exit_cause") == "cumplimiento"
            and len(descriptions(report, "sesion")) == 24
        )

    done = await eventually(partial(shown, system, COMPLETES), until=finished, timeout=30)
    assert process(done)["phase"] == "egresada"
    kinds = {e["kind"] for e in done["linea_de_tiempo"]}
    assert {
        "derivacion", "expediente", "fase", "contacto", "invitacion", "compromiso",
        "diagnostico", "plan", "acompanamiento", "mes", "derecho", "sesion", "evaluacion",
        "egreso",
    } <= kinds  # fmt: skip
    lines = descriptions(done)
    assert any(d.startswith("Familia CON-2026-0001 derivada en la nómina 2026") for d in lines)
    assert "Intento de contacto 2 (visita): familia localizada" in lines
    assert "La familia acepta la invitación" in lines
    assert f"Carta de compromiso firmada el {signed_on:%d-%m-%Y}" in lines
    assert f"El mes 1 del plan es {first_month:%m-%Y}; las transferencias parten ese mes" in lines
    for month in range(1, 25):
        assert f"Mes {month} cerrado: 1 sesiones" in lines, month
    assert len(descriptions(done, "derecho")) == 24
    assert "Evaluación final: 2 de 2 metas logradas" in lines
    assert "Egreso: Cumplimiento de los 24 meses" in lines
    assert not descriptions(done, "abandono")
    assert {e["actor"] for e in done["linea_de_tiempo"] if e["kind"] == "sesion"} == {PROFESSIONAL}

    # The second family: abandonment through the procedure.
    left = await shown(system, ABANDONS)
    assert process(left)["exit_cause"] == "abandono"
    lines = descriptions(left)
    assert "Mes 1 cerrado sin sesiones (1 seguidos)" in lines
    assert "Mes 2 cerrado sin sesiones (2 seguidos)" in lines
    opened = [d for d in descriptions(left, "abandono") if d.startswith("Se abre")]
    assert opened == [
        "Se abre el procedimiento de abandono (2 meses seguidos sin sesiones): visita "
        f"domiciliaria documentada antes del {add_months(first_month, 2).replace(day=16):%d-%m-%Y}"
    ]
    third = add_months(first_month, 2)
    assert f"Procedimiento de abandono: aviso del {third.replace(day=3):%d-%m-%Y}" in lines
    assert f"Procedimiento de abandono: visita del {third.replace(day=10):%d-%m-%Y}" in lines
    assert any(d.startswith("Pagos retenidos (procedimiento de abandono abierto)") for d in lines)
    decision = [e for e in left["linea_de_tiempo"] if e["kind"] == "decision"]
    assert [e["actor"] for e in decision] == [UNIT_HEAD]
    assert decision[0]["description"].startswith("El Jefe/a de Unidad confirma el abandono")
    assert "Egreso: Abandono" in lines
    assert not descriptions(left, "escalamiento")  # the visit came before its deadline
    assert left["status"] == "closed"

    elapsed = time.perf_counter() - started
    print(f"preparación {set_up:.1f} s; 24 meses y dos egresos en {elapsed:.1f} s de reloj")
