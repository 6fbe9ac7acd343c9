"""The console's pages over HTTP on the running stack: who sees a full RUT, and that a
profile without the right is refused on the server, not only by a hidden button; and the
same decisions taken through the JSON API, as the CLI takes them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from deploy.local.stack import LocalStack
from tests.support.data import family_payload, random_rut
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

OPERATOR = {"X-Familias-Usuario": "jefa.unidad"}


@pytest.fixture(scope="module")
async def intake(system: LocalStack) -> AsyncIterator[httpx.AsyncClient]:
    base = system.settings.service_url("intake")
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        yield client


def console(system: LocalStack, profile: str | None) -> httpx.AsyncClient:
    cookies = {"perfil": profile} if profile else {}
    return httpx.AsyncClient(
        base_url=system.settings.service_url("supervision"), cookies=cookies, timeout=30
    )


async def running_family(system: LocalStack, intake: httpx.AsyncClient) -> dict[str, Any]:
    """A registered family whose workflow has opened its case."""
    created = await intake.post("/v1/families", json=family_payload(comuna=f"P{uuid4().hex[:6]}"))
    assert created.status_code == 201, created.text
    family: dict[str, Any] = created.json()
    async with console(system, None) as http:

        async def kinds() -> list[str]:
            response = await http.get(f"/v1/families/{family['id']}/lifecycle")
            if response.status_code != 200:
                return []
            return [e["kind"] for e in response.json()["timeline"]]

        await eventually(kinds, until=lambda k: "expediente" in k)
    return family


async def test_the_family_page_shows_full_ruts_only_to_profiles_that_work_with_the_family(
    system: LocalStack, intake: httpx.AsyncClient
) -> None:
    family = await running_family(system, intake)
    full = family["representative"]["run_formatted"]
    masked = re.sub(r"^(\d{1,2})\.\d{3}\.\d{3}-(.)$", r"\1.***.***-\2", full)
    for profile in ("jefe_unidad", "apoyo_familiar", "encargado_pagos"):
        async with console(system, profile) as http:
            page = (await http.get(f"/familias/{family['id']}")).text
        assert full in page, profile
    for profile in ("supervisor_fosis", "auditor", None):
        async with console(system, profile) as http:
            response = await http.get(f"/familias/{family['id']}")
        assert response.status_code == 200
        assert masked in response.text, profile
        for member in family["members"]:
            assert member["run_formatted"] not in response.text, profile
            assert member["run"] not in response.text, profile
    assert response.headers["cache-control"] == "no-store"
    assert '<html lang="es-CL">' in response.text


async def test_a_forbidden_action_is_refused_on_the_server_and_changes_nothing(
    system: LocalStack, intake: httpx.AsyncClient
) -> None:
    family = await running_family(system, intake)
    for profile in ("supervisor_fosis", "auditor", "encargado_pagos", None):
        async with console(system, profile) as http:
            page = (await http.get(f"/familias/{family['id']}")).text
            assert 'action="/familias/' not in page, profile
            refused = await http.post(
                f"/familias/{family['id']}/pausar", data={"motivo": "no debería poder"}
            )
        assert refused.status_code == 403, profile
        assert "no puede realizar esta acción" in refused.text
    async with console(system, "apoyo_familiar") as http:
        refused = await http.post(
            f"/familias/{family['id']}/cerrar",
            data={"causal": "renuncia", "motivo": "no debería poder"},
        )
    assert refused.status_code == 403
    async with console(system, None) as http:
        lifecycle = (await http.get(f"/v1/families/{family['id']}/lifecycle")).json()
    assert all(e["kind"] not in ("pausa", "decision") for e in lifecycle["timeline"])
    assert lifecycle["state"]["waiting_for"] is not None


async def test_an_allowed_action_redirects_and_a_refusal_shows_the_workflows_reason(
    system: LocalStack, intake: httpx.AsyncClient
) -> None:
    family = await running_family(system, intake)
    page_url = f"/familias/{family['id']}"
    async with console(system, "jefe_unidad") as http:
        http.cookies.set("usuario", "Marta%20Rojas")
        refused = await http.post(
            f"{page_url}/corregir-fecha",
            data={"hecho": "diagnostico", "fecha": "2024-03-01", "motivo": "fecha mal digitada"},
        )
        assert refused.status_code == 303
        assert refused.headers["location"] == page_url
        page = (await http.get(page_url)).text
        assert "La fecha de diagnostico aún no está registrada" in page
        # The notice shows once: a reload does not repeat it.
        assert "aún no está registrada" not in (await http.get(page_url)).text

        too_short = await http.post(f"{page_url}/pausar", data={"motivo": "x"})
        assert too_short.status_code == 303
        assert "El motivo es demasiado corto" in (await http.get(page_url)).text

        paused = await http.post(f"{page_url}/pausar", data={"motivo": "Hospitalización"})
        assert paused.status_code == 303
        page = (await http.get(page_url)).text
    assert "Proceso en pausa" in page
    assert "Proceso en pausa: Hospitalización" in page
    assert "por Marta Rojas (Jefe/a de Unidad)" in page
    assert 'action="/familias/' + family["id"] + '/reanudar"' in page


async def test_search_finds_a_family_by_rut_in_any_format_and_masks_it_by_profile(
    system: LocalStack, intake: httpx.AsyncClient
) -> None:
    payload = family_payload()
    payload["members"][0]["run"] = run = random_rut()
    created = (await intake.post("/v1/families", json=payload)).json()
    compact = run.replace(".", "").replace("-", "").lower()
    async with console(system, "auditor") as http:
        page = (await http.get("/buscar", params={"q": compact})).text
        assert f'href="/familias/{created["id"]}"' in page
        assert run not in page.replace(f'value="{compact}"', "")
        by_id = await http.get("/buscar", params={"q": created["id"]})
        assert by_id.status_code == 303
        assert by_id.headers["location"] == f"/familias/{created['id']}"
        nothing = (await http.get("/buscar", params={"q": "zzzz-nadie-así"})).text
        assert "No hay familias que coincidan" in nothing
    async with console(system, "jefe_unidad") as http:
        page = (await http.get("/buscar", params={"q": run.replace(".", "")})).text
    assert run in page


async def test_the_org_chart_and_the_dashboard_show_the_unit(
    system: LocalStack, intake: httpx.AsyncClient
) -> None:
    comuna = f"Org {uuid4().hex[:6]}"
    head = (
        await intake.post(
            "/v1/staff",
            json={
                "run": random_rut(),
                "name": "Jefa Prueba",
                "role": "jefe_unidad",
                "comuna": comuna,
            },
        )
    ).json()
    for name in ("Apoyo Uno", "Apoyo Dos"):
        added = await intake.post(
            "/v1/staff",
            json={
                "run": random_rut(),
                "name": name,
                "role": "apoyo_familiar",
                "comuna": comuna,
                "reports_to_id": head["id"],
                "max_active_families": 2,
            },
        )
        assert added.status_code == 201, added.text
    for _ in range(3):
        created = await intake.post("/v1/families", json=family_payload(comuna=comuna))
        assert created.status_code == 201
    async with console(system, "supervisor_fosis") as http:
        chart = (await http.get("/organigrama", params={"comuna": comuna})).text
        assert re.search(r"Jefa Prueba.*?<ul>.*?Apoyo (Uno|Dos).*?Apoyo (Uno|Dos)", chart, re.S)

        async def board() -> str:
            return (await http.get("/tablero", params={"comuna": comuna})).text

        page = await eventually(board, until=lambda p: 'id="total-en-curso">3<' in p)
    assert '<svg class="grafico"' in page
    # The year's coverage and the month's sessions, from intake's and plans' statistics.
    assert re.search(r'id="tabla-cobertura">.*?<td class="num">0</td>', page, re.S)
    assert re.search(r'id="sin-sesion">0<', page)
    assert "2/2" in page
    assert "1/2" in page


async def test_an_operator_pauses_and_resumes_a_family_and_an_illegal_step_is_refused(
    system: LocalStack, intake: httpx.AsyncClient
) -> None:
    family = await running_family(system, intake)
    lifecycle = f"/v1/families/{family['id']}/lifecycle"
    async with console(system, None) as http:
        refused = await http.post(
            f"{lifecycle}/resume", json={"reason": "no está en pausa"}, headers=OPERATOR
        )
        assert refused.status_code == 409, refused.text
        assert "no está en pausa" in refused.json()["detail"]
        paused = await http.post(
            f"{lifecycle}/pause", json={"reason": "familia de viaje"}, headers=OPERATOR
        )
        assert paused.status_code == 200, paused.text
        assert paused.json()["waiting_for"] is None
        resumed = await http.post(
            f"{lifecycle}/resume", json={"reason": "volvió"}, headers=OPERATOR
        )
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["waiting_for"] is not None
        timeline = (await http.get(lifecycle)).json()["timeline"]
    paused_by = [e["actor"] for e in timeline if e["kind"] == "pausa"]
    assert len(paused_by) == 2
    assert set(paused_by) == {"jefa.unidad"}
