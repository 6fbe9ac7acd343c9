"""The unit dashboard (`/tablero`) with 5,000 running families on the Temporal dev server.

The families are FamilyLifecycle executions started with the search attributes the real
workflow upserts (phase, comuna, cohort, month of the plan, Apoyo Familiar, next
deadline), spread as a unit's are: most in accompaniment over the 24 months, about one in
ten past its deadline, ten comunas of uneven size, eight Apoyos Familiares each (real
staff rows in intake). No worker polls their task queue: visibility sees them exactly as
running families, and the machine's two cores are left to the dashboard.

The console runs in-process (FastAPI over httpx's ASGITransport) against the dev server
and the intake and plans processes; the server time of a page view is timed over
REQUESTS requests (median, p95), unfiltered and for the largest comuna, and, in the same
run, the former listing of every family (`unit_board_by_listing`) for the ratio.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from stdnum.cl import rut as stdnum_rut
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from bench.support import bench_servers
from deploy.local.ports import free_ports
from services.supervision.main import create_app
from services.supervision.web.board import BoardFilter, unit_board, unit_board_by_listing
from shared.contracts import search
from shared.contracts.lifecycle import WORKFLOW_TYPE, family_workflow_id
from shared.settings import Settings
from shared.temporal import connect_temporal

FAMILIES = 5000
REQUESTS = 20
LISTINGS = 3
COMUNAS = {
    f"Comuna {n}": w for n, w in zip(range(1, 11), (25, 18, 14, 10, 9, 8, 6, 4, 3, 3), strict=True)
}
PROFESSIONALS_PER_COMUNA = 8
PHASES = {
    "derivacion": 4, "contacto": 5, "invitacion": 3, "compromiso": 3, "diagnostico": 6,
    "plan": 4, "acompanamiento": 70, "evaluacion": 5,
}  # fmt: skip
OVERDUE_SHARE = 0.1
STARTS_IN_FLIGHT = 64


async def main(*, events: int, rounds: int) -> None:
    (intake_port,) = free_ports(1)
    with bench_servers(temporal=True, log_level="WARNING", intake_port=intake_port) as stack:
        stack.start_processes(["intake", "plans"])
        await _run(stack.settings)


async def _run(settings: Settings) -> None:
    client = await connect_temporal(settings)
    staff = await _staff(settings)
    started = time.perf_counter()
    spread = await _start_families(client, staff)
    print(f"  {FAMILIES} familias iniciadas en {time.perf_counter() - started:.1f} s")
    await _visible(client, FAMILIES)
    largest = max(COMUNAS, key=lambda c: COMUNAS[c])
    print(f"  fases: {dict(spread['fase'])}")
    print(f"  vencidas: {spread['vencidas']}, {largest}: {spread['comuna'][largest]} familias")
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
    ):
        for label, params in (("sin filtro", {}), (largest, {"comuna": largest})):
            page = await _timed_pages(http, params)
            wanted = BoardFilter(comuna=params.get("comuna"))
            counts = await _timed(lambda w=wanted: unit_board(client, w, datetime.now(UTC)), 5)
            listing = await _timed(
                lambda w=wanted: unit_board_by_listing(client, w, datetime.now(UTC)), LISTINGS
            )
            print(
                f"  /tablero {label:>10}: página mediana {_ms(statistics.median(page))}, "
                f"p95 {_ms(_p95(page))} ({REQUESTS} pedidos); solo conteos mediana "
                f"{_ms(statistics.median(counts))}; listado anterior mediana "
                f"{_ms(statistics.median(listing))} ({LISTINGS}); razón listado / página "
                f"{statistics.median(listing) / statistics.median(page):.1f}"
            )


async def _timed_pages(http: httpx.AsyncClient, params: dict[str, str]) -> list[float]:
    response = await http.get("/tablero", params=params)  # warm-up
    assert response.status_code == 200, response.text[:500]
    assert 'id="total-en-curso"' in response.text
    times = []
    for _ in range(REQUESTS):
        began = time.perf_counter()
        response = await http.get("/tablero", params=params)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200
    return times


async def _timed(call: Any, times: int) -> list[float]:
    found = []
    for _ in range(times):
        began = time.perf_counter()
        await call()
        found.append(time.perf_counter() - began)
    return found


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def _staff(settings: Settings) -> dict[str, list[str]]:
    """Eight Apoyos Familiares per comuna, registered in intake (the caseload table)."""
    found: dict[str, list[str]] = {}
    base = settings.service_url("intake")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for comuna in COMUNAS:
            for n in range(PROFESSIONALS_PER_COMUNA):
                body = str(random.randint(5_000_000, 25_999_999))
                response = await http.post(
                    "/v1/staff",
                    json={
                        "run": stdnum_rut.format(body + stdnum_rut.calc_check_digit(body)),
                        "name": f"Apoyo {n + 1} {comuna}",
                        "role": "apoyo_familiar",
                        "comuna": comuna,
                        "max_active_families": 80,
                    },
                )
                assert response.status_code == 201, response.text
                found.setdefault(comuna, []).append(response.json()["id"])
    return found


async def _start_families(client: Client, staff: dict[str, list[str]]) -> dict[str, Any]:
    pick = random.Random(9)
    now = datetime.now(UTC)
    month_end = (now.replace(day=28) + timedelta(days=4)).replace(day=1, hour=3, minute=0)
    gate = asyncio.Semaphore(STARTS_IN_FLIGHT)
    spread: dict[str, Any] = {"fase": Counter(), "comuna": Counter(), "vencidas": 0}

    async def one() -> None:
        comuna = pick.choices(list(COMUNAS), weights=list(COMUNAS.values()))[0]
        phase = pick.choices(list(PHASES), weights=list(PHASES.values()))[0]
        if pick.random() < OVERDUE_SHARE:
            due = now - timedelta(hours=pick.randint(1, 24 * 90))
            spread["vencidas"] += 1
        elif phase == "acompanamiento":
            due = month_end
        else:
            due = now + timedelta(hours=pick.randint(1, 24 * 30))
        pairs: list[SearchAttributePair[Any]] = [
            SearchAttributePair(search.PHASE, phase),
            SearchAttributePair(search.COMUNA, comuna),
            SearchAttributePair(search.COHORT_YEAR, pick.choice((2024, 2025, 2026))),
            SearchAttributePair(search.NEXT_DEADLINE, due),
        ]
        if phase in ("acompanamiento", "evaluacion"):
            month = pick.randint(1, 24) if phase == "acompanamiento" else 24
            pairs.append(SearchAttributePair(search.PLAN_MONTH, month))
        if phase not in ("derivacion", "contacto"):
            pairs.append(SearchAttributePair(search.APOYO_FAMILIAR, pick.choice(staff[comuna])))
        spread["fase"][phase] += 1
        spread["comuna"][comuna] += 1
        async with gate:
            await client.start_workflow(
                WORKFLOW_TYPE,
                id=family_workflow_id(uuid.uuid4()),
                task_queue="tablero-sin-worker",
                search_attributes=TypedSearchAttributes(pairs),
            )

    await asyncio.gather(*(one() for _ in range(FAMILIES)))
    return spread


async def _visible(client: Client, expected: int) -> None:
    query = f'WorkflowType = "{WORKFLOW_TYPE}" AND CloseTime IS NULL'
    while (await client.count_workflows(query)).count < expected:  # noqa: ASYNC110
        await asyncio.sleep(0.5)
