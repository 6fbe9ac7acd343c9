"""FamilyLifecycle: one workflow per family, id `family-lifecycle:{family_id}`.

`run()` reads like the process in DOMAIN.md §2: open the case, then wait — for facts from
the bus (the `evento` signal, each event once), for an operator's decision (updates), or
for the next deadline — and apply the pure decisions of the modules beside this one. Each
month boundary of the accompaniment continues as new, carrying the state, so no run's
history grows.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from shared.contracts import search
    from shared.contracts.envelope import Envelope
    from shared.contracts.intake import CloseFamily, FamilyClosed
    from shared.contracts.lifecycle import (
        QUERY_STATE,
        QUERY_TIMELINE,
        SIGNAL_EVENT,
        UPDATE_CLOSE,
        UPDATE_CORRECT_DATE,
        UPDATE_DECIDE_ABANDONMENT,
        UPDATE_PAUSE,
        UPDATE_RESUME,
        WORKFLOW_TYPE,
        AbandonmentDecision,
        CloseRequest,
        DateCorrection,
        FamilyExited,
        FamilyLifecycleInput,
        LifecycleView,
        PauseRequest,
        TimelineEntry,
    )
    from shared.contracts.payments import (
        EntitlementRegistered,
        PaymentsHeld,
        RegisterEntitlement,
    )
    from shared.contracts.plans import CaseOpened, OpenCase, SessionsCount, SessionsInMonth
    from workflows.family import deadlines, decisions, facts, months, payments_hold, phases
    from workflows.family.activities import LifecycleActivities
    from workflows.family.dates import local_day
    from workflows.family.deadlines import Deadline
    from workflows.family.policy import Policy
    from workflows.family.state import FamilyState, Phase
    from workflows.family.timeline import record
    from workflows.family.view import view

ACTIVITY_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
ACTIVITY_TIMEOUT = timedelta(seconds=30)


@workflow.defn(name=WORKFLOW_TYPE)
class FamilyLifecycle:
    def __init__(self) -> None:
        self._state: FamilyState | None = None
        self._inbox: deque[Envelope] = deque()
        self._changed = False

    @workflow.run
    async def run(self, start: FamilyLifecycleInput) -> str:
        self._state = self._starting_state(start)
        self._drain_inbox()
        if not self.state.case_opened:
            await self._open_case()
        self._settle()
        while not self.state.closed:
            deadline = deadlines.next_deadline(self.state)
            if not await self._woken_before(deadline):
                assert deadline is not None
                if deadline.ends_a_month:
                    await self._month_boundary()
                    if not self.state.closed:
                        if workflow.patched("retencion-al-cambiar-de-mes"):
                            # A procedure the month opened holds the orders now, before the
                            # next run: a payment cycle may run before the family's next fact.
                            self._settle()
                            await self._sync_payment_hold()
                        await self._continue_as_new(start)
                else:
                    deadlines.deadline_passed(self.state, deadline, workflow.now())
            self._settle()
            await self._sync_payment_hold()
        await self._exit()
        return self.state.exit_cause or ""

    @property
    def state(self) -> FamilyState:
        assert self._state is not None
        return self._state

    def _starting_state(self, start: FamilyLifecycleInput) -> FamilyState:
        """The state the previous run carried, or a new family's under its pinned policy."""
        if start.carried_state is not None:
            carried = FamilyState.model_validate(start.carried_state)
            carried.runs += 1
            return carried
        policy = Policy.model_validate(start.policy or {})
        return FamilyState.start(start, workflow.now(), policy)

    async def _woken_before(self, deadline: Deadline | None) -> bool:
        """Wait for a fact or a decision; False when the deadline comes first."""
        timeout = None
        if deadline is not None:
            timeout = max(deadline.due - workflow.now(), timedelta(0))
        self._changed = False
        try:
            await workflow.wait_condition(lambda: self._changed, timeout=timeout)
        except TimeoutError:
            return False
        return True

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
        record(
            self.state, workflow.now(), "expediente", "Expediente abierto en el servicio de planes"
        )
        workflow.logger.info("case opened at %s", opened.opened_at.isoformat())

    async def _month_boundary(self) -> None:
        """Month 1 begins; or the month under way closes with its sessions and the next begins."""
        now = workflow.now()
        if self.state.plan_month == 0:
            months.begin_month(self.state, now)
            await self._register_entitlement()
            return
        ended = months.current_period(self.state)
        count: SessionsCount = await workflow.execute_activity_method(
            LifecycleActivities.sessions_in_month,
            SessionsInMonth(family_id=self.state.family_id, year=ended.year, month=ended.month),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        months.close_month(self.state, count.counted_in_month, now)
        if self.state.phase is Phase.ACCOMPANIMENT:
            await self._register_entitlement()

    async def _register_entitlement(self) -> None:
        """The month that just began is owed its transfer (payments computes the amount)."""
        if not workflow.patched("derechos-mensuales"):
            return  # runs recorded before payments answered this command
        period = months.current_period(self.state)
        owed: EntitlementRegistered = await workflow.execute_activity_method(
            LifecycleActivities.register_entitlement,
            RegisterEntitlement(
                idempotency_key=f"{self.state.family_id}:{period:%Y-%m}:bono_proteccion",
                family_id=self.state.family_id,
                period=period,
                plan_month=self.state.plan_month,
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        record(
            self.state,
            workflow.now(),
            "derecho",
            f"Mes {owed.plan_month} ({period:%m-%Y}): Bono de Protección de "
            f"${owed.amount:,} registrado".replace(",", "."),
        )

    async def _sync_payment_hold(self) -> None:
        """Paused or under an abandonment procedure: payments holds the orders, and lets
        them go when the process resumes or the family is reinstated."""
        wanted = payments_hold.payments_hold_wanted(self.state)
        if wanted is None or not workflow.patched("retencion-pagos"):
            return
        request = payments_hold.hold_request(self.state, wanted)
        self.state.payments_held = wanted
        held: PaymentsHeld = await workflow.execute_activity_method(
            LifecycleActivities.hold_payments,
            request,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        record(self.state, workflow.now(), "retencion", payments_hold.hold_line(request, held))

    async def _continue_as_new(self, start: FamilyLifecycleInput) -> NoReturn:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._drain_inbox()
        carried = start.model_copy(
            update={"carried_state": self.state.model_dump(mode="json"), "policy": None}
        )
        workflow.continue_as_new(carried)

    async def _exit(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        cause = self.state.exit_cause or ""
        exited_on = self.state.exited_on or local_day(workflow.now())
        if cause != "traslado":  # the case moves with the family; intake keeps it active
            closed: FamilyClosed = await workflow.execute_activity_method(
                LifecycleActivities.close_family,
                CloseFamily(
                    idempotency_key=f"{self.state.family_id}:egreso",
                    family_id=self.state.family_id,
                    exit_cause=cause,
                    exited_on=exited_on,
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            workflow.logger.info("family closed in intake: %s", closed.exit_cause)
        await workflow.execute_activity_method(
            LifecycleActivities.publish_exited,
            FamilyExited(family_id=self.state.family_id, exit_cause=cause, exited_on=exited_on),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        self._upsert_search()

    def _settle(self) -> None:
        """Fold queued events, move the phase as far as facts allow, publish the index."""
        self._drain_inbox()
        phases.advance(self.state, workflow.now())
        self._upsert_search()

    def _drain_inbox(self) -> None:
        while self._inbox and self._state is not None:
            event = self._inbox.popleft()
            seen = not facts.first_time_seen(self.state, event.event_id)
            if not seen and not facts.apply_event(self.state, event):
                workflow.logger.warning("event ignored: %s", self.state.timeline[-1].description)

    def _upsert_search(self) -> None:
        deadline = deadlines.next_deadline(self.state)
        updates: list[SearchAttributeUpdate[Any]] = [
            search.PHASE.value_set(self.state.phase.value),
            search.COMUNA.value_set(self.state.comuna),
            search.COHORT_YEAR.value_set(self.state.cohort_year),
            search.PLAN_MONTH.value_set(self.state.plan_month),
            search.NEXT_DEADLINE.value_set(deadline.due)
            if deadline
            else search.NEXT_DEADLINE.value_unset(),
        ]
        if self.state.apoyo_familiar:
            updates.append(search.APOYO_FAMILIAR.value_set(self.state.apoyo_familiar))
        workflow.upsert_search_attributes(updates)

    @workflow.signal(name=SIGNAL_EVENT)
    def on_event(self, event: Envelope) -> None:
        # With signal-with-start the signal is handled before run() builds the state: queue.
        self._inbox.append(event)
        self._changed = True

    @workflow.query(name=QUERY_STATE)
    def current_state(self) -> LifecycleView:
        return view(self.state)

    @workflow.query(name=QUERY_TIMELINE)
    def timeline(self) -> list[TimelineEntry]:
        return list(self.state.timeline)

    @workflow.update(name=UPDATE_DECIDE_ABANDONMENT)
    def decide_abandonment(self, decision: AbandonmentDecision) -> LifecycleView:
        self._drain_inbox()
        decisions.decide_abandonment(self.state, decision, workflow.now())
        return self._decided()

    @decide_abandonment.validator
    def _validate_abandonment(self, decision: AbandonmentDecision) -> None:
        self._drain_inbox()  # the visit's report may still be queued
        decisions.check_abandonment_decision(self.state)

    @workflow.update(name=UPDATE_CLOSE)
    def close(self, request: CloseRequest) -> LifecycleView:
        decisions.close(self.state, request, workflow.now())
        return self._decided()

    @close.validator
    def _validate_close(self, request: CloseRequest) -> None:
        decisions.check_close(self.state, request)

    @workflow.update(name=UPDATE_PAUSE)
    def pause(self, request: PauseRequest) -> LifecycleView:
        decisions.pause(self.state, request, workflow.now())
        return self._decided()

    @pause.validator
    def _validate_pause(self, request: PauseRequest) -> None:
        decisions.check_pause(self.state)

    @workflow.update(name=UPDATE_RESUME)
    def resume(self, request: PauseRequest) -> LifecycleView:
        decisions.resume(self.state, request, workflow.now())
        return self._decided()

    @resume.validator
    def _validate_resume(self, request: PauseRequest) -> None:
        decisions.check_resume(self.state)

    @workflow.update(name=UPDATE_CORRECT_DATE)
    def correct_date(self, correction: DateCorrection) -> LifecycleView:
        decisions.correct_date(self.state, correction, workflow.now())
        return self._decided()

    @correct_date.validator
    def _validate_correction(self, correction: DateCorrection) -> None:
        decisions.check_date_correction(self.state, correction)

    def _decided(self) -> LifecycleView:
        """After an update: wake `run()` to act on it, and answer with the new state."""
        self._changed = True
        return view(self.state)
