"""Plans' counts for reports equal the facts they were built from, and hold no person."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from shared.bus.client import Bus
from tests.conftest import ServiceUnderTest
from tests.support.programme import (
    TODAY,
    abandonment,
    diagnose,
    hold_session,
    open_case,
    sign_plan,
    unique_comuna,
)

BEFORE_THIS_MONTH = TODAY.replace(day=1) - timedelta(days=1)


async def build(plans: ServiceUnderTest, bus: Bus, comuna: str) -> dict[str, UUID]:
    """Four committed families: in accompaniment, late diagnosis, abandonment open and closed."""
    http = plans.client
    committed = TODAY - timedelta(days=40)
    cases = {
        name: await open_case(http, bus, comuna, committed=committed)
        for name in ("accompanied", "late_diagnosis", "warned", "reinstated")
    }
    await diagnose(http, cases["accompanied"])
    await sign_plan(http, cases["accompanied"], on=BEFORE_THIS_MONTH)
    await hold_session(http, cases["accompanied"], "aps_individual")
    await hold_session(http, cases["accompanied"], "entrevista")
    await hold_session(http, cases["accompanied"], "visita_domiciliaria", attendance="no_asistio")

    await diagnose(http, cases["warned"])
    await sign_plan(http, cases["warned"])
    await hold_session(http, cases["warned"], "entrevista", attendance="no_ubicada")
    await abandonment(http, cases["warned"], ["aviso", "visita"])

    await diagnose(http, cases["reinstated"])
    await sign_plan(http, cases["reinstated"], on=BEFORE_THIS_MONTH, asl=1)
    await hold_session(http, cases["reinstated"], "asl", attendance="no_asistio")
    await hold_session(http, cases["reinstated"], "aps_grupal", attendance="no_asistio")
    await abandonment(
        http,
        cases["reinstated"],
        ["aviso", "visita", "informe", "recomendacion"],
        recommendation="reincorporacion",
    )
    return cases


def sessions_by_kind(answer: list[dict[str, Any]]) -> dict[str, tuple[int, ...]]:
    return {
        s["tipo"]: (s["sesiones"], s["asistio"], s["no_asistio"], s["no_ubicada"], s["familias"])
        for s in answer
    }


async def test_a_year_counts_diagnoses_plans_sessions_by_kind_and_abandonment(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    comuna = unique_comuna("Planes")
    await build(plans, it_bus, comuna)
    signed_dates = [BEFORE_THIS_MONTH, TODAY, BEFORE_THIS_MONTH]

    response = await plans.client.get(
        "/v1/estadisticas", params={"anio": TODAY.year, "comuna": comuna}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["etapas"] == {
        "diagnosticadas": 3,
        "con_plan_firmado": sum(1 for d in signed_dates if d.year == TODAY.year),
        "en_acompanamiento": 3,
        "evaluadas": 0,
    }
    assert sessions_by_kind(answer["sesiones"]) == {
        "aps_individual": (1, 1, 0, 0, 1),
        "aps_grupal": (1, 0, 1, 0, 1),
        "asl": (1, 0, 1, 0, 1),
        "visita_domiciliaria": (1, 0, 1, 0, 1),
        "entrevista": (2, 1, 0, 1, 2),
        "taller": (0, 0, 0, 0, 0),
        "seguimiento_remoto": (0, 0, 0, 0, 0),
    }
    assert answer["abandono"] == {
        "pasos": {
            "aviso": {"documentos": 2, "familias": 2},
            "visita": {"documentos": 2, "familias": 2},
            "informe": {"documentos": 1, "familias": 1},
            "recomendacion": {"documentos": 1, "familias": 1},
        },
        "recomendaciones": {"egreso": 0, "reincorporacion": 1},
    }
    assert "Conversamos" not in str(answer)  # notes never leave the service

    other_comuna = await plans.client.get(
        "/v1/estadisticas", params={"anio": TODAY.year, "comuna": unique_comuna()}
    )
    assert sum(s["sesiones"] for s in other_comuna.json()["sesiones"]) == 0


async def test_a_month_counts_phases_sessions_against_expected_and_overdue(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    comuna = unique_comuna("Planes mes")
    await build(plans, it_bus, comuna)
    await open_case(plans.client, it_bus, comuna, committed=TODAY - timedelta(days=3))

    response = await plans.client.get(
        "/v1/estadisticas/mensual", params={"mes": f"{TODAY:%Y-%m}", "comuna": comuna}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["por_fase"] == {"diagnostico": 2, "plan": 0, "acompanamiento": 3,
                                  "evaluacion": 0}  # fmt: skip
    assert answer["diagnosticos_completados"] == 3
    assert answer["planes_firmados"] == 1  # two were signed the month before
    sessions = answer["sesiones"]
    assert (sessions["realizadas"], sessions["asistidas"]) == (6, 2)
    # Expected: the two in accompaniment since before the month; one attended a session.
    assert sessions["familias_esperadas"] == 2
    assert sessions["familias_con_sesion"] == 1
    assert sessions["familias_sin_sesion"] == 1
    assert answer["vencidas"] == {
        "diagnostico": 1,  # committed 40 days ago; the one committed 3 days ago is on time
        "plan": 0,
        "sin_sesion_en_el_mes": 1,
        "abandono_abierto": 1,
        "plazo_diagnostico_dias": 30,
        "plazo_plan_dias": 30,
    }

    previous = date(TODAY.year, TODAY.month, 1) - timedelta(days=1)
    earlier = (
        await plans.client.get(
            "/v1/estadisticas/mensual", params={"mes": f"{previous:%Y-%m}", "comuna": comuna}
        )
    ).json()
    recent_then = TODAY - timedelta(days=3) <= previous
    # Then nobody was diagnosed yet, but two plans were already signed.
    assert earlier["por_fase"] == {"diagnostico": 2 + recent_then, "plan": 0,
                                   "acompanamiento": 2, "evaluacion": 0}  # fmt: skip
    assert earlier["planes_firmados"] == 2
    assert earlier["vencidas"]["abandono_abierto"] == 0
