"""Recording a session: latency at a steady 100 requests/s, against the service's /healthz.

The plans service runs as its own process (uvicorn, real PostgreSQL and NATS). Requests
are sent open-loop on a fixed schedule — one every 10 ms whatever the answers do — and
each latency is measured from its scheduled time, so a slow answer cannot hide the ones
queued behind it (no coordinated omission). Each request records a new session for one of
200 families in accompaniment. The same schedule against `GET /healthz` gives the floor of
the HTTP stack on this machine; the figure that matters is the ratio within one run.
A 5-second warm-up at the same rate (connections, statement caches) is not counted.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx

from bench.support import bench_servers
from deploy.local.ports import free_ports
from deploy.local.stack import LocalStack
from shared.db.engine import asyncpg_dsn

RATE = 100  # requests per second
FAMILIES = 200
KINDS = ["aps_individual", "aps_grupal", "visita_domiciliaria", "entrevista", "taller"]


Request = tuple[str, str, dict[str, Any] | None]


async def _open_loop(http: httpx.AsyncClient, requests: Sequence[Request]) -> list[float]:
    latencies: list[float] = []
    failures: list[int] = []
    stalls: list[float] = []
    start = time.perf_counter() + 0.2

    async def one(index: int, method: str, url: str, body: dict[str, Any] | None) -> None:
        scheduled = start + index / RATE
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        response = await http.request(method, url, json=body)
        latencies.append(time.perf_counter() - scheduled)
        if latencies[-1] > 0.1:
            stalls.append(scheduled - start)
        if response.status_code >= 300:
            failures.append(response.status_code)

    await asyncio.gather(*(one(i, *r) for i, r in enumerate(requests)))
    if failures:
        raise RuntimeError(f"{len(failures)} respuestas fallidas, p. ej. {failures[:5]}")
    if stalls:
        moments = sorted({round(t) for t in stalls})
        print(f"    {len(stalls)} respuestas > 100 ms, en los segundos {moments}")
    return latencies


async def main(*, events: int, rounds: int) -> None:
    seconds = 20 if events == 20_000 else max(events // RATE, 1)
    with bench_servers(plans_port=free_ports(1)[0], log_level="WARNING") as stack:
        stack.start_processes(["plans"])
        await _run(stack, seconds, rounds)


async def _run(stack: LocalStack, seconds: int, rounds: int) -> None:
    settings = stack.settings
    families = [uuid4() for _ in range(FAMILIES)]
    connection = await asyncpg.connect(asyncpg_dsn(settings.service_database_url("plans")))
    try:
        await connection.executemany(
            "INSERT INTO cases (family_id, comuna, referred_on, committed_on) "
            "VALUES ($1, 'Bench', $2, $3)",
            [(f, date(2025, 1, 1), date(2025, 2, 1)) for f in families],
        )
    finally:
        await connection.close()
    base = settings.service_url("plans")
    total = seconds * RATE
    sessions_p: list[tuple[float, float]] = []
    health_p: list[tuple[float, float]] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        day = date(2025, 3, 1)
        warm: list[Request] = [
            ("POST", f"/v1/families/{families[i % FAMILIES]}/sessions",
             {"held_on": "2025-02-15", "kind": KINDS[i % len(KINDS)], "attendance": "asistio"})
            for i in range(5 * RATE)
        ]  # fmt: skip
        await _open_loop(http, warm)
        await _open_loop(http, [("GET", "/healthz", None)] * (5 * RATE))
        for round_number in range(rounds):
            requests: list[Request] = []
            for i in range(total):
                family = families[i % FAMILIES]
                held = day + timedelta(days=(round_number * total + i) // (FAMILIES * len(KINDS)))
                body = {
                    "held_on": held.isoformat(),
                    "kind": KINDS[(i // FAMILIES) % len(KINDS)],
                    "attendance": "asistio",
                    "dimensions": ["salud", "educacion"],
                    "notes": "Sesión de seguimiento del plan.",
                }
                requests.append(("POST", f"/v1/families/{family}/sessions", body))
            health_p.append(
                _percentiles(await _open_loop(http, [("GET", "/healthz", None)] * total))
            )
            sessions_p.append(_percentiles(await _open_loop(http, requests)))
            print(
                f"  ronda {round_number + 1}: healthz p50/p99 "
                f"{health_p[-1][0] * 1000:.1f}/{health_p[-1][1] * 1000:.1f} ms, sesión "
                f"{sessions_p[-1][0] * 1000:.1f}/{sessions_p[-1][1] * 1000:.1f} ms"
            )
    print(f"registro de sesiones — {rounds} rondas de {seconds} s a {RATE} solicitudes/s")
    for label, values in (("GET /healthz (piso)", health_p), ("POST sesión", sessions_p)):
        p50 = statistics.median(v[0] for v in values) * 1000
        p99 = statistics.median(v[1] for v in values) * 1000
        worst = max(v[1] for v in values) * 1000
        print(f"  {label:22} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms (peor ronda {worst:.1f})")
    ratio = statistics.median(s[1] / h[1] for s, h in zip(sessions_p, health_p, strict=True))
    print(f"  razón p99 sesión / healthz: {ratio:.1f}")


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99) - 1]
