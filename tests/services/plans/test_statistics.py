"""Plans' counts for reports equal the facts they were built from, and hold no person.

The service's today is the tests' fixed day, Wednesday 17 June 2026 (tests/support/clock.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from shared.bus.client import Bus
from tests.conftest import ServiceUnderTest
from tests.support.clock import TODAY
from tests.support.programme import (
    abandonment,
    diagnose,
    hold_session,
    open_case,
    sign_plan,
    unique_comuna,
)

BEFORE_THIS_MONTH = date(2026, 5, 31)  # the last day of the month before TODAY's


async def build(plans: ServiceUnderTest, bus: Bus, comuna: str) -> dict[str, UUID]:
    """Four committed families: in accompaniment, late diagnosis, abandonment open and closed."""
    http = plans.client
    committed = TODAY - timedelta(days=40)  # 8 May: diagnosis overdue (30 days)
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
        s["kind"]: (s["sessions"], s["attended"], s["absent"], s["not_located"], s["families"])
        for s in answer
    }


async def test_a_year_counts_diagnoses_plans_sessions_by_kind_and_abandonment(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    comuna = unique_comuna("Planes")
    await build(plans, it_bus, comuna)

    response = await plans.client.get("/v1/statistics", params={"year": 2026, "comuna": comuna})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["stages"] == {
        "diagnosed": 3,
        "plan_signed": 3,  # two on 31 May, one today: all in 2026
        "in_accompaniment": 3,
        "evaluated": 0,
    }
    assert sessions_by_kind(answer["sessions"]) == {
        "aps_individual": (1, 1, 0, 0, 1),
        "aps_grupal": (1, 0, 1, 0, 1),
        "asl": (1, 0, 1, 0, 1),
        "visita_domiciliaria": (1, 0, 1, 0, 1),
        "entrevista": (2, 1, 0, 1, 2),
        "taller": (0, 0, 0, 0, 0),
        "seguimiento_remoto": (0, 0, 0, 0, 0),
    }
    assert answer["abandonment"] == {
        "steps": {
            "aviso": {"documents": 2, "families": 2},
            "visita": {"documents": 2, "families": 2},
            "informe": {"documents": 1, "families": 1},
            "recomendacion": {"documents": 1, "families": 1},
        },
        "recommendations": {"egreso": 0, "reincorporacion": 1},
    }
    assert "Conversamos" not in str(answer)  # notes never leave the service

    other_comuna = await plans.client.get(
        "/v1/statistics", params={"year": 2026, "comuna": unique_comuna()}
    )
    assert sum(s["sessions"] for s in other_comuna.json()["sessions"]) == 0


async def test_a_month_counts_phases_sessions_against_expected_and_overdue(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    comuna = unique_comuna("Planes mes")
    await build(plans, it_bus, comuna)
    await open_case(plans.client, it_bus, comuna, committed=TODAY - timedelta(days=3))  # 14 June

    response = await plans.client.get(
        "/v1/statistics/monthly", params={"month": "2026-06", "comuna": comuna}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["by_phase"] == {"diagnosis": 2, "plan": 0, "accompaniment": 3,
                                  "evaluation": 0}  # fmt: skip
    assert answer["diagnoses_completed"] == 3
    assert answer["plans_signed"] == 1  # two were signed the month before
    sessions = answer["sessions"]
    assert (sessions["held"], sessions["attended"]) == (6, 2)
    # Expected: the two in accompaniment since before the month; one attended a session.
    assert sessions["families_expected"] == 2
    assert sessions["families_with_session"] == 1
    assert sessions["families_without_session"] == 1
    assert answer["overdue"] == {
        "diagnosis": 1,  # committed 40 days ago; the one committed 3 days ago is on time
        "plan": 0,
        "without_session": 1,
        "open_abandonment": 1,
        "diagnosis_deadline_days": 30,
        "plan_deadline_days": 30,
    }

    earlier = (
        await plans.client.get(
            "/v1/statistics/monthly", params={"month": "2026-05", "comuna": comuna}
        )
    ).json()
    # At the end of May nobody was diagnosed yet, but two plans were already signed; the
    # family committed on 14 June was not there yet.
    assert earlier["by_phase"] == {"diagnosis": 2, "plan": 0,
                                   "accompaniment": 2, "evaluation": 0}  # fmt: skip
    assert earlier["plans_signed"] == 2
    assert earlier["overdue"]["open_abandonment"] == 0
