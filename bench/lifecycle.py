"""One month of 1,000 families on the Temporal dev server, against a minimal workflow.

Each FamilyLifecycle starts in accompaniment with its month boundary already due, so it
at once asks plans for the month's sessions (a real NATS request answered by the plans
service process), closes the month, continues as new and upserts its search attributes.
The minimal workflow does the same steps and nothing else: one activity making the same
request, continue-as-new, one search-attribute upsert. Both run on the same worker; the
time until all 1,000 show `PlanMonth = 2` in visibility is compared as a ratio in one run.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from bench.minimal_workflow import MinimalMonth
from bench.support import bench_servers
from shared.bus.client import Bus
from shared.contracts.lifecycle import FamilyLifecycleInput
from shared.db.engine import asyncpg_dsn
from shared.settings import Settings
from shared.temporal import connect_temporal
from workflows.family.dates import add_months
from workflows.family.state import FamilyState, Phase
from workflows.worker import WORKFLOWS, activities_for, workflow_runner

FAMILIES = 1000


def carried(family_id: uuid.UUID, now: datetime) -> FamilyLifecycleInput:
    this_month = now.date().replace(day=1)
    state = FamilyState(
        family_id=family_id,
        comuna="Bench",
        cohort_year=2026,
        referred_on=this_month - timedelta(days=90),
        phase=Phase.ACCOMPANIMENT,
        phase_since=now,
        case_opened=True,
        committed_on=this_month - timedelta(days=60),
        diagnosis_on=this_month - timedelta(days=50),
        plan_signed_on=this_month - timedelta(days=40),
        first_month=add_months(this_month, -1),
        plan_month=1,
        months_without_session=0,
    )
    return FamilyLifecycleInput(
        family_id=family_id,
        comuna="Bench",
        cohort_year=2026,
        referred_on=state.referred_on,
        carried_state=state.model_dump(mode="json"),
    )


async def _until_all_at_month_two(client: Client, kind: str, started: float) -> float:
    query = f'WorkflowType="{kind}" AND PlanMonth=2'
    while True:
        count = (await client.count_workflows(query)).count
        if count >= FAMILIES:
            return time.perf_counter() - started
        await asyncio.sleep(0.2)


async def _round(client: Client, task_queue: str, families: list[uuid.UUID]) -> tuple[float, float]:
    now = datetime.now(UTC)
    tag = uuid.uuid4().hex[:6]
    started = time.perf_counter()
    await asyncio.gather(
        *(
            client.start_workflow(
                "FamilyLifecycle",
                carried(f, now),
                id=f"bench-{tag}-{f}",
                task_queue=task_queue,
            )
            for f in families
        )
    )
    ours = await _until_all_at_month_two(client, "FamilyLifecycle", started)
    started = time.perf_counter()
    await asyncio.gather(
        *(
            client.start_workflow(
                "MinimalMonth", args=[str(f), 1], id=f"min-{tag}-{f}", task_queue=task_queue
            )
            for f in families
        )
    )
    minimal = await _until_all_at_month_two(client, "MinimalMonth", started)
    await _terminate_all(client)
    return ours, minimal


async def _terminate_all(client: Client) -> None:
    async for execution in client.list_workflows('ExecutionStatus="Running"'):
        await client.get_workflow_handle(execution.id).terminate("fin de la ronda")
    while (await client.count_workflows('ExecutionStatus="Running"')).count:  # noqa: ASYNC110
        await asyncio.sleep(0.2)


async def main(*, events: int, rounds: int) -> None:
    with bench_servers(temporal=True, log_level="WARNING") as stack:
        stack.start_processes(["plans"])
        await _run(stack.settings, rounds)


async def _run(settings: Settings, rounds: int) -> None:
    families = [uuid.uuid4() for _ in range(FAMILIES)]
    connection = await asyncpg.connect(asyncpg_dsn(settings.service_database_url("plans")))
    try:
        await connection.executemany(
            "INSERT INTO cases (family_id, comuna, referred_on, committed_on) "
            "VALUES ($1, 'Bench', $2, $3)",
            [(f, date(2026, 1, 1), date(2026, 2, 1)) for f in families],
        )
    finally:
        await connection.close()
    bus = await Bus.connect(settings, name="bench-lifecycle")
    client = await connect_temporal(settings)
    task_queue = f"bench-{uuid.uuid4().hex[:6]}"
    results: list[tuple[float, float]] = []
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[*WORKFLOWS, MinimalMonth],
        activities=activities_for(bus),
        workflow_runner=workflow_runner(),
        max_concurrent_workflow_tasks=200,
        max_concurrent_activities=200,
    ):
        for _ in range(rounds):
            results.append(await _round(client, task_queue, families))
            print(f"  ronda: FamilyLifecycle {results[-1][0]:.1f} s, mínimo {results[-1][1]:.1f} s")
    await bus.close()
    ours = [r[0] for r in results]
    minimal = [r[1] for r in results]
    ratio = statistics.median(o / m for o, m in results)
    print(f"un mes de {FAMILIES} familias en el servidor de desarrollo — {rounds} rondas")
    for label, values in (("FamilyLifecycle:", ours), ("flujo mínimo:", minimal)):
        median = statistics.median(values)
        print(f"  {label:18} mediana {median:.1f} s ({FAMILIES / median:.0f} familias/s)")
    print(f"  razón nuestro / mínimo: {ratio:.2f}")
