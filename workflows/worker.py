"""The Temporal worker process: `python -m workflows.worker`."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from shared.bus.client import Bus
from shared.bus.heartbeat import Heartbeat
from shared.contracts.lifecycle import SEARCH_ATTRIBUTES
from shared.observability import get_logger
from shared.process import mark_ready, run_process
from shared.settings import Settings
from shared.temporal import connect_temporal, ensure_namespace
from workflows.family.activities import LifecycleActivities
from workflows.family.workflow import FamilyLifecycle
from workflows.payment_cycle.activities import PaymentCycleActivities
from workflows.payment_cycle.schedule import ensure_payment_schedule
from workflows.payment_cycle.workflow import PaymentCycle, PaymentCycleScheduled

log = get_logger(__name__)

WORKFLOWS = [FamilyLifecycle, PaymentCycle, PaymentCycleScheduled]


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox, with `zoneinfo` passed through: deadlines fall at midnight in Santiago.

    Inside the sandbox `ZoneInfo` is a restricted proxy that `datetime` refuses as tzinfo;
    the time zone database is data on disk, the same for every replay on a machine.
    """
    restrictions = dataclasses.replace(
        SandboxRestrictions.default,
        invalid_module_members=SandboxRestrictions.invalid_module_members_default.with_child_unrestricted(
            "zoneinfo", "ZoneInfo"
        ),
    ).with_passthrough_modules("zoneinfo")
    return SandboxedWorkflowRunner(restrictions=restrictions)


def activities_for(bus: Bus) -> Sequence[Callable[..., Any]]:
    lifecycle = LifecycleActivities(bus)
    return [
        lifecycle.open_case,
        lifecycle.sessions_in_month,
        lifecycle.register_entitlement,
        lifecycle.hold_payments,
        lifecycle.close_family,
        lifecycle.publish_exited,
        *PaymentCycleActivities(bus).all(),
    ]


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    bus = await Bus.connect(settings, name="worker")
    client = await connect_temporal(settings)
    if settings.uses_external_temporal:
        await ensure_namespace(client, settings.temporal_namespace, SEARCH_ATTRIBUTES)
    await ensure_payment_schedule(client, settings)
    worker = Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(bus),
        workflow_runner=workflow_runner(),
        graceful_shutdown_timeout=timedelta(seconds=5),
        max_cached_workflows=settings.worker_max_cached_workflows,
    )
    async with Heartbeat(bus, "worker", settings.heartbeat_seconds).running(), worker:
        log.info("worker_started", task_queue=settings.temporal_task_queue)
        mark_ready(settings, "worker")
        await stop.wait()
    await bus.close()


if __name__ == "__main__":
    run_process("worker", run_worker)
