"""The bridge: the only place where bus events become Temporal signals.

`intake.evt.v1.family.referred` signal-with-starts the family's workflow; every other event
that names a family is signalled to it. Delivering the same event twice is harmless: the
workflow id is unique and the workflow ignores an event id it has already seen.

Temporal unreachable, overloaded or too slow is a transient failure (`DependencyUnavailable`):
the consumer redelivers the event with backoff and the family's later events wait behind
it (shared/bus/consumer.py); a payload that fails its contract is final and goes to dead
letters.

Run as its own process: `python -m workflows.bridge`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from shared.bus.client import Bus
from shared.bus.consumer import consume
from shared.bus.heartbeat import Heartbeat
from shared.contracts import subjects
from shared.contracts.envelope import Envelope
from shared.contracts.intake import FamilyReferred
from shared.contracts.lifecycle import (
    SIGNAL_EVENT,
    WORKFLOW_TYPE,
    FamilyLifecycleInput,
    family_workflow_id,
)
from shared.contracts.search import COHORT_YEAR, COMUNA, PHASE
from shared.errors import DependencyUnavailable
from shared.observability import get_logger
from shared.process import mark_ready, run_process
from shared.settings import Settings
from shared.temporal import connect_temporal
from workflows.family.state import Phase

log = get_logger(__name__)

DURABLE = "bridge"


# Temporal's answers that say "not now" rather than "no".
TRANSIENT_RPC = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
        RPCStatusCode.CANCELLED,
    }
)


class Bridge:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue
        self.delivered = 0

    async def handle(self, event: Envelope) -> None:
        try:
            if event.subject == subjects.FAMILY_REFERRED:
                await self._start_family(event)
            elif event.subject in subjects.NOT_BRIDGED:
                pass
            elif event.family_id is not None:
                await self._signal_family(event)
        except RPCError as exc:
            if exc.status in TRANSIENT_RPC:
                raise DependencyUnavailable(f"Temporal no responde: {exc.message}") from exc
            raise
        self.delivered += 1

    async def _start_family(self, event: Envelope) -> None:
        referred = event.payload(FamilyReferred)
        try:
            await self.client.start_workflow(
                WORKFLOW_TYPE,
                FamilyLifecycleInput(
                    family_id=referred.family_id,
                    comuna=referred.comuna,
                    cohort_year=referred.cohort_year,
                    referred_on=referred.referred_on,
                ),
                id=family_workflow_id(referred.family_id),
                task_queue=self.task_queue,
                start_signal=SIGNAL_EVENT,
                start_signal_args=[event],
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(PHASE, Phase.REFERRAL.value),
                        SearchAttributePair(COMUNA, referred.comuna),
                        SearchAttributePair(COHORT_YEAR, referred.cohort_year),
                    ]
                ),
            )
        except WorkflowAlreadyStartedError:
            # The family's workflow already ended: a late redelivery changes nothing.
            log.info("family_workflow_already_closed", family_id=str(referred.family_id))

    async def _signal_family(self, event: Envelope) -> None:
        handle = self.client.get_workflow_handle(family_workflow_id(str(event.family_id)))
        try:
            await handle.signal(SIGNAL_EVENT, event)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            # The workflow ended (or never existed): keep the event in the stream, skip it.
            log.warning(
                "event_for_closed_family",
                subject=event.subject,
                family_id=str(event.family_id),
                event_id=str(event.event_id),
            )


async def run_bridge(settings: Settings, stop: asyncio.Event) -> None:
    bus = await Bus.connect(settings, name="bridge")
    client = await connect_temporal(settings)
    bridge = Bridge(client, settings.temporal_task_queue)
    consumers: list[Any] = [
        consume(bus, owner=owner, durable=DURABLE, handler=bridge.handle, stop=stop)
        for owner in subjects.BRIDGED_STREAM_OWNERS
    ]
    heartbeat = Heartbeat(bus, "bridge", settings.heartbeat_seconds)
    async with heartbeat.running(lambda: f'{{"entregados": {bridge.delivered}}}'):
        mark_ready(settings, "bridge")
        await asyncio.gather(*consumers)
    await bus.close()


if __name__ == "__main__":
    run_process("bridge", run_bridge)
