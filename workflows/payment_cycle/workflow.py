"""PaymentCycle: the month's transfers, from cut-off to the bank's last answer.

`run()` is the cycle as ARCHITECTURE.md tells it: cut-off → build batches (ids travel,
never lists of orders: 150,000 ids would pass Temporal's 2 MB payload limit) → submit each
batch's file → read the bank's answers until every transfer has a final one, or the wait
runs out → close. Progress is the `progreso` query. A cycle waiting days for the bank
continues as new before its history grows large, carrying what it knows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from shared.contracts.payments import (
        PAYMENT_CYCLE_SCHEDULED_WORKFLOW,
        PAYMENT_CYCLE_WORKFLOW,
        QUERY_CYCLE_PROGRESS,
        BuildBatches,
        CloseCycle,
        ListUnsentBatches,
        OpenCycle,
        PaymentCycleInput,
        PaymentCycleView,
        PollBank,
        ScheduledCycleInput,
        SubmitBatch,
        payment_cycle_workflow_id,
    )
    from workflows.payment_cycle.activities import PaymentCycleActivities
    from workflows.payment_cycle.period import SCHEDULED_START, cycle_period

ArgT = TypeVar("ArgT")
RetT = TypeVar("RetT")

# A step's request fails in seconds when its reply is lost (activities.py); retried at 1,
# 2, 4, 8 s and then every 10 s, a cycle resumes within seconds of payments or NATS coming
# back, instead of waiting out a minute-long back-off.
RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10))
STEP_TIMEOUT = timedelta(minutes=3)
PATCH_UNSENT = "lotes-sin-enviar"
BATCHES_PER_STEP = 20
SUBMIT_IN_PARALLEL = 8
HISTORY_LIMIT = 8_000  # continue as new well before Temporal's warnings (10,240 events)


@workflow.defn(name=PAYMENT_CYCLE_WORKFLOW)
class PaymentCycle:
    def __init__(self) -> None:
        self.view = PaymentCycleView(period="", step="iniciando")

    @workflow.query(name=QUERY_CYCLE_PROGRESS)
    def progress(self) -> PaymentCycleView:
        return self.view

    @workflow.run
    async def run(
        self, params: PaymentCycleInput, carried: PaymentCycleView | None = None
    ) -> PaymentCycleView:
        if carried is not None:
            self.view = carried
        else:
            self.view = PaymentCycleView(
                period=params.period, step="corte", started_by=params.actor
            )
            await self.cut_off_and_send(params.period)
        await self.wait_for_the_bank(params)
        self._set(step="cerrado")
        self._set(
            progress=await self._step(
                PaymentCycleActivities.close_cycle, CloseCycle(period=params.period)
            )
        )
        return self.view

    async def cut_off_and_send(self, period: str) -> None:
        acts = PaymentCycleActivities
        self._set(opened=await self._step(acts.open_cycle, OpenCycle(period=period)))
        self._set(step="armando lotes")
        batch_ids: dict[UUID, None] = {}  # ordered, without repeats
        # Before this patch only the first build call picked up unsent batches, so a later
        # call retried after committing some returned without them: they were never sent.
        sends_unsent = workflow.patched(PATCH_UNSENT)
        first = True
        while True:
            built = await self._step(
                acts.build_batches,
                BuildBatches(
                    period=period,
                    max_batches=BATCHES_PER_STEP,
                    include_unsent=first and not sends_unsent,
                ),
            )
            first = False
            batch_ids.update(dict.fromkeys(built.batch_ids))
            self._set(batches_built=len(batch_ids))
            if not built.more:
                break
        if sends_unsent:
            # Every batch built and never sent, whatever step, attempt or cycle built it.
            unsent = await self._step(acts.unsent_batches, ListUnsentBatches(period=period))
            batch_ids.update(dict.fromkeys(unsent.batch_ids))
            self._set(batches_built=len(batch_ids))
        self._set(step="enviando al banco")
        await self._submit(list(batch_ids))
        self._set(step="esperando al banco")
        self._set(waiting_since=workflow.now())

    async def _submit(self, batch_ids: list[UUID]) -> None:
        for start in range(0, len(batch_ids), SUBMIT_IN_PARALLEL):
            chunk = batch_ids[start : start + SUBMIT_IN_PARALLEL]
            await asyncio.gather(
                *(
                    self._step(PaymentCycleActivities.submit_batch, SubmitBatch(batch_id=b))
                    for b in chunk
                )
            )
            self._set(batches_submitted=self.view.batches_submitted + len(chunk))

    async def wait_for_the_bank(self, params: PaymentCycleInput) -> None:
        limit = timedelta(hours=params.bank_wait_hours)
        while True:
            progress = await self._step(
                PaymentCycleActivities.poll_bank, PollBank(period=params.period)
            )
            self._set(progress=progress)
            if progress.unsent_batches and workflow.patched(PATCH_UNSENT):
                # Built after the listing above (a build whose answer was lost, still
                # running in payments): sent now, not stranded.
                unsent = await self._step(
                    PaymentCycleActivities.unsent_batches, ListUnsentBatches(period=params.period)
                )
                self._set(batches_built=self.view.batches_built + len(unsent.batch_ids))
                await self._submit(unsent.batch_ids)
            if progress.in_flight == 0:
                return
            since = self.view.waiting_since or workflow.now()
            if workflow.now() - since >= limit:
                # Late answers are still applied by later readings (the bank's message list
                # is read from a stored cursor, whatever cycle is running): nothing is lost.
                self._set(timed_out=True)
                return
            await workflow.sleep(timedelta(seconds=params.poll_seconds))
            if workflow.info().get_current_history_length() > HISTORY_LIMIT:
                workflow.continue_as_new(args=[params, self.view])

    def _set(self, **changes: object) -> None:
        self.view = self.view.model_copy(update=changes)

    async def _step(
        self,
        activity: Callable[[PaymentCycleActivities, ArgT], Awaitable[RetT]],
        argument: ArgT,
    ) -> RetT:
        return await workflow.execute_activity_method(
            activity, argument, start_to_close_timeout=STEP_TIMEOUT, retry_policy=RETRY
        )


@workflow.defn(name=PAYMENT_CYCLE_SCHEDULED_WORKFLOW)
class PaymentCycleScheduled:
    """Started by the monthly Schedule: runs the cycle of the month it was scheduled for
    (`TemporalScheduledStartTime`, however late it runs) under its fixed id.

    A Schedule appends a timestamp to the ids it starts; the month's cycle must be
    `payment-cycle:{YYYY-MM}` so that a manual start and the Schedule cannot both run it.
    """

    @workflow.run
    async def run(self, params: ScheduledCycleInput) -> str:
        if workflow.patched("periodo-programado"):
            # The month the Schedule fired for, not the month this runs in: a server down
            # from the 20th until the 1st runs the missed action late, and it still pays
            # the month of the 20th.
            scheduled_at = workflow.info().typed_search_attributes.get(SCHEDULED_START)
            period = cycle_period(scheduled_at, workflow.now())
        else:
            period = f"{workflow.now().astimezone(ZoneInfo('America/Santiago')):%Y-%m}"
        cycle = PaymentCycleInput(
            period=period,
            poll_seconds=params.poll_seconds,
            bank_wait_hours=params.bank_wait_hours,
        )
        try:
            await workflow.start_child_workflow(
                PaymentCycle.run,
                args=[cycle, None],
                id=payment_cycle_workflow_id(period),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            return f"El ciclo {period} ya estaba iniciado"
        return f"Ciclo {period} iniciado"
