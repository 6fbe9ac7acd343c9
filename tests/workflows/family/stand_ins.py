"""FamilyLifecycle on the time-skipping test server, with the services stood in.

Every activity the workflow calls is replaced by a function registered under the real
activity's name (as temporalio/samples-python's `hello_activity_test.py` does): it records
what it was asked and answers with the contract's reply model. Facts reach the workflow
through the real `Bridge.handle` (signal-with-start for the referral, the `evento` signal
for the rest), as real envelopes built from the contracts. No PostgreSQL, NATS or service.

The test server starts at the real clock and only moves forward, so each test first skips
to its own explicit day in 2090 and then lives on that calendar.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel
from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shared.contracts.envelope import Envelope, EventData
from shared.contracts.intake import (
    CloseFamily,
    FamilyClosed,
    FamilyReferred,
)
from shared.contracts.lifecycle import (
    QUERY_STATE,
    QUERY_TIMELINE,
    FamilyExited,
    LifecycleView,
    TimelineEntry,
    family_workflow_id,
)
from shared.contracts.payments import (
    EntitlementRegistered,
    HoldPayments,
    PaymentsHeld,
    RegisterEntitlement,
)
from shared.contracts.plans import (
    CaseOpened,
    OpenCase,
    SessionsCount,
    SessionsInMonth,
)
from tests.support.facts import agreement
from tests.support.stack import time_skipping_environment
from tests.support.waiting import eventually
from workflows.bridge import Bridge
from workflows.family.workflow import FamilyLifecycle
from workflows.worker import workflow_runner

SANTIAGO = ZoneInfo("America/Santiago")
TASK_QUEUE = "familias-fast"
QUERY_TIMEOUT = timedelta(seconds=2)
QUERY_ATTEMPTS = 3
MONTHLY_AMOUNT = 22_000  # the stood-in tariff of every month's Bono de Protección


class StandInServices:
    """plans, payments and intake as the workflow sees them: what each was asked, in order.

    plans counts `sessions_each_month` sessions in every month; payments keeps one order
    per registered month, `pendiente` or `retenida`.
    """

    def __init__(self, sessions_each_month: int = 1) -> None:
        self.asked: list[tuple[str, BaseModel]] = []
        self.sessions_each_month = sessions_each_month
        self.sessions_counted = 0
        self.orders: dict[date, str] = {}
        self.held = False

    def requests(self, activity_name: str) -> list[Any]:
        return [request for name, request in self.asked if name == activity_name]

    def activities(self) -> Sequence[Callable[..., Any]]:
        return [
            self.open_case,
            self.sessions_in_month,
            self.register_entitlement,
            self.hold_payments,
            self.close_family,
            self.publish_exited,
        ]

    @activity.defn(name="open_case")
    async def open_case(self, command: OpenCase) -> CaseOpened:
        self.asked.append(("open_case", command))
        return CaseOpened(family_id=command.family_id, opened_at=activity.info().scheduled_time)

    @activity.defn(name="sessions_in_month")
    async def sessions_in_month(self, query: SessionsInMonth) -> SessionsCount:
        self.asked.append(("sessions_in_month", query))
        count = self.sessions_each_month
        self.sessions_counted += count
        return SessionsCount(
            family_id=query.family_id,
            year=query.year,
            month=query.month,
            held=count,
            attended=count,
            counted_in_month=count,
            counted_total=self.sessions_counted,
            minimum_total=12,
        )

    @activity.defn(name="register_entitlement")
    async def register_entitlement(self, command: RegisterEntitlement) -> EntitlementRegistered:
        self.asked.append(("register_entitlement", command))
        self.orders[command.period] = "retenida" if self.held else "pendiente"
        return EntitlementRegistered(
            family_id=command.family_id,
            period=command.period,
            plan_month=command.plan_month,
            concept=command.concept,
            amount=MONTHLY_AMOUNT,
            tariff_source="tarifa de prueba",
        )

    @activity.defn(name="hold_payments")
    async def hold_payments(self, command: HoldPayments) -> PaymentsHeld:
        self.asked.append(("hold_payments", command))
        self.held = command.hold
        before, after = ("pendiente", "retenida") if command.hold else ("retenida", "pendiente")
        changed = [period for period, status in self.orders.items() if status == before]
        for period in changed:
            self.orders[period] = after
        return PaymentsHeld(
            family_id=command.family_id, held=command.hold, orders_changed=len(changed)
        )

    @activity.defn(name="close_family")
    async def close_family(self, command: CloseFamily) -> FamilyClosed:
        self.asked.append(("close_family", command))
        return FamilyClosed(
            family_id=command.family_id,
            exit_cause=command.exit_cause,
            exited_on=command.exited_on,
        )

    @activity.defn(name="publish_exited")
    async def publish_exited(self, event: FamilyExited) -> None:
        self.asked.append(("publish_exited", event))


@asynccontextmanager
async def programme(services: StandInServices) -> AsyncIterator[WorkflowEnvironment]:
    """A test server of its own (about 0.1 s to start) and a worker with the stand-ins."""
    env = await time_skipping_environment()
    try:
        async with Worker(
            env.client,
            task_queue=TASK_QUEUE,
            workflows=[FamilyLifecycle],
            activities=services.activities(),
            workflow_runner=workflow_runner(),
        ):
            yield env
    finally:
        await env.shutdown()


def at(day: date, hour: int = 10) -> datetime:
    """`hour` o'clock on `day` in Santiago."""
    return datetime.combine(day, time(hour), tzinfo=SANTIAGO)


def local_day(entry: TimelineEntry) -> date:
    return entry.at.astimezone(SANTIAGO).date()


class Family:
    """One family's workflow, driven as the bridge and the supervision API would drive it."""

    def __init__(self, env: WorkflowEnvironment, referred: FamilyReferred, now: datetime) -> None:
        self.env = env
        self.now = now  # where the test has skipped the clock to: facts happen then
        self.referred = referred
        self.family_id = referred.family_id
        self.bridge = Bridge(env.client, TASK_QUEUE)
        self.referral = self.envelope(referred, actor="ana.perez")

    @classmethod
    async def referred_on(cls, env: WorkflowEnvironment, day: date) -> Family:
        """The family arrives in the nómina on `day`; the bridge starts its workflow."""
        await skip_to(env, at(day))
        family_id = uuid.uuid4()
        referral = FamilyReferred(
            family_id=family_id,
            family_code=f"CON-{family_id.hex[:6]}",
            comuna="Conchalí",
            cohort_year=day.year,
            referred_on=day,
            member_count=4,
        )
        family = cls(env, referral, now=at(day))
        await family.deliver(family.referral)
        await family.wait_for(lambda s: s.phase == "contacto")
        return family

    @property
    def handle(self) -> WorkflowHandle[Any, Any]:
        """The current run: each month of the accompaniment continues as new."""
        return self.env.client.get_workflow_handle(family_workflow_id(self.family_id))

    def envelope(self, fact: EventData, actor: str = "afi.camila") -> Envelope:
        """`fact` as its producer's outbox wraps it, happening now on the test's calendar."""
        producer = fact.subject.split(".", 1)[0]
        return Envelope.wrap(
            fact, producer=producer, actor=actor, family_id=self.family_id, occurred_at=self.now
        )

    async def deliver(self, event: Envelope) -> None:
        await self.bridge.handle(event)

    async def send(self, fact: EventData, actor: str = "afi.camila") -> None:
        """`fact` happened now: its envelope reaches the workflow as the bridge delivers it."""
        await self.deliver(self.envelope(fact, actor))

    async def agrees_on(self, day: date) -> None:
        """On `day` the family is located, accepts, signs the letter, is diagnosed and signs
        its plan: the accompaniment starts (plan month 1 is the next calendar month)."""
        await self.on(day)
        for fact in agreement(self.family_id, day):
            await self.send(fact)
        await self.wait_for(lambda s: s.phase == "acompanamiento")

    async def on(self, day: date, hour: int = 10) -> None:
        """Skip the test server's clock to `hour` o'clock on `day` (timers fire on the way)."""
        self.now = at(day, hour)
        await skip_to(self.env, self.now)

    async def state(self) -> LifecycleView:
        view: LifecycleView = await self._query(QUERY_STATE, LifecycleView)
        return view

    async def timeline(self) -> list[TimelineEntry]:
        entries: list[TimelineEntry] = await self._query(QUERY_TIMELINE, list[TimelineEntry])
        return entries

    async def _query(self, name: str, result_type: Any) -> Any:
        """The test server may never answer a query that reaches a run as it continues as
        new (a real server answers from the closed run's history): ask the new run again."""
        for _ in range(QUERY_ATTEMPTS - 1):
            try:
                return await self.handle.query(
                    name, result_type=result_type, rpc_timeout=QUERY_TIMEOUT
                )
            except RPCError as error:
                if error.status != RPCStatusCode.DEADLINE_EXCEEDED:
                    raise
        return await self.handle.query(name, result_type=result_type, rpc_timeout=QUERY_TIMEOUT)

    async def run_id(self) -> str:
        """The current run's id (raw: the test server keeps an unset NextDeadline as a null
        the client's `describe()` cannot decode)."""
        described = await self.env.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=self.env.client.namespace,
                execution=WorkflowExecution(workflow_id=self.handle.id),
            )
        )
        run_id: str = described.workflow_execution_info.execution.run_id
        return run_id

    async def continued_as_new(self, previous_run_id: str) -> None:
        """Wait until a new run has taken over from `previous_run_id`."""
        await eventually(
            self.run_id, until=lambda run_id: run_id != previous_run_id, timeout=10, interval=0.02
        )

    async def wait_for(self, condition: Callable[[LifecycleView], bool]) -> LifecycleView:
        return await eventually(self.state, until=condition, timeout=10, interval=0.02)

    async def wait_for_line(self, kind: str, count: int = 1) -> list[TimelineEntry]:
        """The timeline once it holds `count` lines of `kind`; those lines."""
        entries = await eventually(
            self.timeline,
            until=lambda t: sum(e.kind == kind for e in t) >= count,
            timeout=10,
            interval=0.02,
        )
        return [e for e in entries if e.kind == kind]

    async def kinds(self) -> list[str]:
        return [e.kind for e in await self.timeline()]

    async def update(self, name: str, request: BaseModel) -> LifecycleView:
        """An operator's decision, as the supervision API sends it; the new `estado`."""
        view: LifecycleView = await self.handle.execute_update(
            name, request, result_type=LifecycleView
        )
        return view

    async def refusal(self, name: str, request: BaseModel) -> str:
        """Why the workflow refuses this update: its validator's reason, in Spanish."""
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await self.handle.execute_update(name, request)
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError), cause
        return cause.message

    async def exit_cause(self) -> str:
        """The workflow's result, its exit cause: it has ended, or is about to (no time passes
        meanwhile: the bridge's handles do not unlock the test server's time skipping)."""
        result: str = await asyncio.wait_for(self.handle.result(), timeout=10)
        return result


async def skip_to(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    assert moment >= now, f"the test server's clock is already at {now}, past {moment}"
    await env.sleep(moment - now)
