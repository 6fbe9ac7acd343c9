"""FamilyLifecycle on Temporal's time-skipping server, with real NATS and the plans service."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shared.bus.client import Bus
from shared.contracts.envelope import Envelope
from shared.contracts.intake import FamilyReferred
from shared.contracts.lifecycle import (
    QUERY_STATE,
    QUERY_TIMELINE,
    SIGNAL_EVENT,
    FamilyLifecycleInput,
    LifecycleView,
    TimelineEntry,
    family_workflow_id,
)
from tests.conftest import ServiceUnderTest
from tests.support.waiting import eventually
from workflows.worker import WORKFLOWS, activities_for, workflow_runner


@pytest.fixture(scope="module")
async def worker(
    time_skipping: WorkflowEnvironment, it_bus: Bus, plans: ServiceUnderTest
) -> AsyncIterator[str]:
    task_queue = f"tests-{uuid.uuid4().hex[:8]}"
    async with Worker(
        time_skipping.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(it_bus),
        workflow_runner=workflow_runner(),
    ):
        yield task_queue


async def referral(env: WorkflowEnvironment) -> Envelope:
    """Referred "today" on the test server's clock, which other tests may have moved on."""
    today = (await env.get_current_time()).astimezone(ZoneInfo("America/Santiago")).date()
    family_id = uuid.uuid4()
    data = FamilyReferred(
        family_id=family_id,
        family_code=f"WF-{family_id.hex[:6]}",
        comuna="Conchalí",
        cohort_year=2024,
        referred_on=today,
        member_count=4,
    )
    return Envelope.wrap(data, producer="intake", actor="ana.perez", family_id=family_id)


async def signal_with_start(
    env: WorkflowEnvironment, task_queue: str, event: Envelope
) -> WorkflowHandle[object, object]:
    data = event.payload(FamilyReferred)
    return await env.client.start_workflow(
        "FamilyLifecycle",
        FamilyLifecycleInput(
            family_id=data.family_id,
            comuna=data.comuna,
            cohort_year=data.cohort_year,
            referred_on=data.referred_on,
        ),
        id=family_workflow_id(data.family_id),
        task_queue=task_queue,
        start_signal=SIGNAL_EVENT,
        start_signal_args=[event],
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def timeline(handle: WorkflowHandle[object, object]) -> list[TimelineEntry]:
    return await handle.query(QUERY_TIMELINE, result_type=list[TimelineEntry])


async def test_a_referred_family_gets_its_case_opened_and_both_steps_in_its_timeline(
    time_skipping: WorkflowEnvironment, worker: str
) -> None:
    event = await referral(time_skipping)
    handle = await signal_with_start(time_skipping, worker, event)
    entries = await eventually(
        lambda: timeline(handle),
        until=lambda t: [e.kind for e in t] == ["derivacion", "expediente", "fase"],
    )
    assert entries[0].actor == "ana.perez"
    assert event.data["family_code"] in entries[0].description
    state = await handle.query(QUERY_STATE, result_type=LifecycleView)
    assert state.phase == "contacto"
    assert state.waiting_for == "localizar a la familia"


async def test_the_same_referral_delivered_twice_is_folded_once(
    time_skipping: WorkflowEnvironment, worker: str
) -> None:
    event = await referral(time_skipping)
    first = await signal_with_start(time_skipping, worker, event)
    second = await signal_with_start(time_skipping, worker, event)
    assert first.id == second.id
    entries = await eventually(lambda: timeline(first), until=lambda t: len(t) >= 2)
    assert [e.kind for e in entries].count("derivacion") == 1
