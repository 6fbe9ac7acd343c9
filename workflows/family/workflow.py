"""FamilyLifecycle: one workflow per family, id `family-lifecycle:{family_id}`.

`run()` reads like the process in DOMAIN.md §2; the decisions are pure functions in
`state.py`. Bus events arrive as the `evento` signal (from the bridge) and are folded into
the state in arrival order, each once.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from shared.contracts.envelope import Envelope
    from shared.contracts.lifecycle import (
        QUERY_STATE,
        QUERY_TIMELINE,
        SIGNAL_EVENT,
        WORKFLOW_TYPE,
        FamilyLifecycleInput,
        LifecycleView,
        TimelineEntry,
    )
    from shared.contracts.plans import CaseOpened, OpenCase
    from workflows.family import state as decisions
    from workflows.family.activities import LifecycleActivities
    from workflows.family.state import FamilyState

ACTIVITY_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10))
ACTIVITY_TIMEOUT = timedelta(seconds=30)


@workflow.defn(name=WORKFLOW_TYPE)
class FamilyLifecycle:
    def __init__(self) -> None:
        self._state: FamilyState | None = None
        self._inbox: deque[Envelope] = deque()

    @workflow.run
    async def run(self, start: FamilyLifecycleInput) -> str:
        self._state = FamilyState.start(start, workflow.now())
        self._drain_inbox()
        await self._open_case()
        await workflow.wait_condition(lambda: self.state.closed)
        return self.state.exit_cause or ""

    @property
    def state(self) -> FamilyState:
        assert self._state is not None
        return self._state

    async def _open_case(self) -> None:
        opened: CaseOpened = await workflow.execute_activity_method(
            LifecycleActivities.open_case,
            OpenCase(
                idempotency_key=f"{self.state.family_id}:case:open",
                family_id=self.state.family_id,
                comuna=self.state.comuna,
                referred_on=self.state.referred_on,
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        self.state.case_opened = True
        decisions.record(
            self.state,
            workflow.now(),
            "expediente",
            "Expediente abierto en el servicio de planes",
        )
        workflow.logger.info("case opened at %s", opened.opened_at.isoformat())

    def _drain_inbox(self) -> None:
        while self._inbox:
            event = self._inbox.popleft()
            if decisions.first_time_seen(self.state, event.event_id):
                decisions.apply_event(self.state, event)

    @workflow.signal(name=SIGNAL_EVENT)
    def on_event(self, event: Envelope) -> None:
        # With signal-with-start the signal is handled before run() builds the state: queue.
        self._inbox.append(event)
        if self._state is not None:
            self._drain_inbox()

    @workflow.query(name=QUERY_STATE)
    def current_state(self) -> LifecycleView:
        return decisions.view(self.state)

    @workflow.query(name=QUERY_TIMELINE)
    def timeline(self) -> list[TimelineEntry]:
        return list(self.state.timeline)
