"""The scheduled payment cycle pays the month it was scheduled for, however late it runs.

The monthly Schedule fires on day `payments_cycle_day` at 08:00 in Santiago. When the
server is down from the 20th until the 1st, Temporal runs the missed action on recovery,
in the next month: the cycle it starts must still be the month of the 20th.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from temporalio import workflow
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleBackfill,
    ScheduleOverlapPolicy,
)
from temporalio.worker import Worker

from shared.contracts.payments import (
    PAYMENT_CYCLE_WORKFLOW,
    PaymentCycleInput,
    PaymentCycleView,
    payment_cycle_workflow_id,
)
from shared.settings import Settings
from shared.temporal import connect_temporal
from tests.support.waiting import eventually
from workflows.payment_cycle.period import cycle_period
from workflows.payment_cycle.schedule import monthly_schedule
from workflows.payment_cycle.workflow import PaymentCycleScheduled
from workflows.worker import workflow_runner


def test_a_run_late_pays_the_month_it_was_scheduled_in() -> None:
    scheduled = datetime(2030, 1, 20, 11, 0, tzinfo=UTC)  # 08:00 in Santiago (UTC-3)
    ran = datetime(2030, 2, 1, 9, 30, tzinfo=UTC)  # the server was down until the 1st
    assert cycle_period(scheduled, ran) == "2030-01"


def test_the_month_is_santiagos_not_utcs() -> None:
    # 31 January, 22:30 in Santiago, is already February in UTC.
    scheduled = datetime(2030, 2, 1, 1, 30, tzinfo=UTC)
    assert cycle_period(scheduled, scheduled + timedelta(days=3)) == "2030-01"


def test_a_run_started_by_hand_pays_the_month_it_runs_in() -> None:
    assert cycle_period(None, datetime(2030, 3, 5, 15, 0, tzinfo=UTC)) == "2030-03"


# Outside the sandbox: a stand-in for the month's cycle, which the scheduled run starts.
@workflow.defn(name=PAYMENT_CYCLE_WORKFLOW, sandboxed=False)
class CycleStandIn:
    @workflow.run
    async def run(self, params: PaymentCycleInput, carried: PaymentCycleView | None) -> str:
        return params.period


async def test_the_schedule_run_late_starts_the_cycle_of_its_scheduled_month(
    settings: Settings,
) -> None:
    task_queue = f"schedule-{uuid4().hex[:8]}"
    client: Client = await connect_temporal(settings)
    # A month long past (nobody else's cycle id), at the Schedule's own time: 08:00 on the
    # cycle day in Santiago. A backfill runs it now, as a server back from an outage does.
    year = random.randint(1990, 2015)
    month = random.randint(1, 12)
    schedule = monthly_schedule(settings.model_copy(update={"temporal_task_queue": task_queue}))
    schedule.state.paused = True  # only the backfill runs it
    handle = await client.create_schedule(f"{task_queue}-ciclo", schedule)
    try:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[PaymentCycleScheduled, CycleStandIn],
            workflow_runner=workflow_runner(),
        ):
            day = datetime(year, month, settings.payments_cycle_day, tzinfo=UTC)
            await handle.backfill(
                ScheduleBackfill(
                    start_at=day,
                    end_at=day + timedelta(days=1),
                    overlap=ScheduleOverlapPolicy.ALLOW_ALL,
                )
            )

            async def started() -> list[str]:
                description = await handle.describe()
                return [
                    a.action.workflow_id
                    for a in description.info.recent_actions
                    if isinstance(a.action, ScheduleActionExecutionStartWorkflow)
                ]

            (scheduled_id,) = await eventually(started, until=lambda ids: len(ids) == 1)
            answer = await client.get_workflow_handle(scheduled_id).result()
            period = f"{year}-{month:02d}"
            assert answer == f"Ciclo {period} iniciado"
            cycle = client.get_workflow_handle(payment_cycle_workflow_id(period))
            assert await cycle.result() == period
    finally:
        await handle.delete()
