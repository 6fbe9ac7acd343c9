"""One event through every layer, on real processes: intake → outbox → relay → JetStream →
bridge → FamilyLifecycle → activity → NATS command → plans → timeline."""

from __future__ import annotations

import signal
from typing import Any

import asyncpg
import httpx
import pytest
from nats.js.api import ConsumerInfo

from deploy.local.stack import LocalStack
from shared.bus.client import Bus
from shared.contracts import subjects
from shared.contracts.lifecycle import family_workflow_id
from shared.db.engine import asyncpg_dsn
from shared.temporal import connect_temporal
from tests.support.data import family_payload
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def http(system: LocalStack) -> Any:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
async def e2e_bus(system: LocalStack) -> Any:
    bus = await Bus.connect(system.settings, name="tests-e2e")
    yield bus
    await bus.close()


def url(system: LocalStack, service: str, path: str) -> str:
    return f"{system.settings.service_url(service)}{path}"


async def register(system: LocalStack, http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post(url(system, "intake", "/v1/families"), json=family_payload())
    assert response.status_code == 201, response.text
    return dict(response.json())


async def timeline_kinds(system: LocalStack, http: httpx.AsyncClient, family_id: str) -> list[str]:
    response = await http.get(url(system, "supervision", f"/v1/families/{family_id}/lifecycle"))
    if response.status_code != 200:
        return []
    return [entry["kind"] for entry in reversed(response.json()["timeline"])]


def reached_case(kinds: list[str]) -> bool:
    return {"derivacion", "expediente", "fase"} <= set(kinds)


async def query_plans(system: LocalStack, sql: str, *args: object) -> Any:
    connection = await asyncpg.connect(asyncpg_dsn(system.settings.service_database_url("plans")))
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


async def bridge_caught_up(bus: Bus) -> ConsumerInfo:
    return await bus.js.consumer_info(bus.settings.stream_name("intake"), "bridge")


async def test_a_registered_family_reaches_its_workflow_and_the_plans_service(
    system: LocalStack, http: httpx.AsyncClient
) -> None:
    family = await register(system, http)
    await eventually(lambda: timeline_kinds(system, http, family["id"]), until=reached_case)
    case = await http.get(url(system, "plans", f"/v1/cases/{family['id']}"))
    assert case.status_code == 200


async def test_the_same_event_delivered_twice_starts_one_workflow_and_records_one_row(
    system: LocalStack, http: httpx.AsyncClient, e2e_bus: Bus
) -> None:
    family = await register(system, http)
    await eventually(lambda: timeline_kinds(system, http, family["id"]), until=reached_case)
    connection = await asyncpg.connect(asyncpg_dsn(system.settings.service_database_url("intake")))
    try:
        payload = await connection.fetchval(
            "SELECT payload::text FROM outbox WHERE payload->>'family_id' = $1 "
            "AND subject = 'intake.evt.v1.family.referred'",
            family["id"],
        )
    finally:
        await connection.close()
    # A redelivery after JetStream's duplicate window: same event, new message id.
    await e2e_bus.js.publish(
        e2e_bus.subject("intake.evt.v1.family.referred"),
        payload.encode(),
        headers={"Nats-Msg-Id": f"redelivery-{family['id']}"},
    )
    await eventually(
        lambda: bridge_caught_up(e2e_bus),
        until=lambda info: info.num_pending == 0 and info.num_ack_pending == 0,
    )
    kinds = await timeline_kinds(system, http, family["id"])
    assert kinds.count("derivacion") == 1
    assert kinds.count("expediente") == 1
    client = await connect_temporal(system.settings)
    runs = [
        execution
        async for execution in client.list_workflows(
            f"WorkflowId = '{family_workflow_id(family['id'])}'"
        )
    ]
    assert len(runs) == 1
    assert (
        await query_plans(
            system,
            "SELECT count(*) FROM command_log WHERE idempotency_key LIKE $1",
            f"{subjects.CASE_OPEN}:{family['id']}%",  # keys are scoped by subject
        )
        == 1
    )
    assert (
        await query_plans(
            system, "SELECT count(*) FROM cases WHERE family_id::text = $1", family["id"]
        )
        == 1
    )


async def test_families_registered_while_nats_is_down_all_reach_their_workflow(
    system: LocalStack, servers: LocalStack, http: httpx.AsyncClient
) -> None:
    servers.supervisor.stop_process("nats")
    try:
        families = [await register(system, http) for _ in range(5)]
    finally:
        servers.supervisor.resume_process("nats")
    for family in families:
        await eventually(
            lambda family=family: timeline_kinds(system, http, family["id"]),
            until=reached_case,
            timeout=90,
        )


async def test_a_worker_killed_mid_workflow_resumes_it_after_restart(
    system: LocalStack, http: httpx.AsyncClient
) -> None:
    system.supervisor.stop_process("plans")
    try:
        family = await register(system, http)
        # The workflow starts and its activity retries: plans is not answering.
        await eventually(
            lambda: timeline_kinds(system, http, family["id"]), until=lambda k: k == ["derivacion"]
        )
        worker = system.supervisor.processes["worker"]
        old_pid = worker.pid
        system.supervisor.kill("worker", signal.SIGKILL)
        await eventually(lambda: _pid_changed(system, old_pid), until=bool, timeout=30)
    finally:
        system.supervisor.resume_process("plans")
    await eventually(
        lambda: timeline_kinds(system, http, family["id"]), until=reached_case, timeout=90
    )


async def _pid_changed(system: LocalStack, old_pid: int | None) -> bool:
    worker = system.supervisor.processes["worker"]
    return worker.alive() and worker.pid != old_pid
