"""An event the family's workflow cannot apply is ignored, visibly, and the family goes on.

A payload that fails its contract, a subject the workflow does not know, another family's
fact or a fact the state cannot take (a date no calendar holds) would otherwise fail the
workflow task on every retry and wedge the family (issue 15, hole 6). Each is recorded in
the timeline as `ignorado` with its reason, and the next good event is applied.

Same setting as test_phases.py: the time-skipping test server, activities stood in by
`stand_ins.py`, envelopes delivered through the real bridge.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest
from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shared.contracts.intake import FamilyContacted
from shared.contracts.lifecycle import (
    SIGNAL_EVENT,
    WORKFLOW_TYPE,
    FamilyLifecycleInput,
    LifecycleView,
    TimelineEntry,
)
from shared.contracts.plans import PlanSigned
from tests.support.facts import agreement
from tests.support.stack import time_skipping_environment
from tests.support.waiting import eventually
from tests.workflows.family.stand_ins import TASK_QUEUE, Family, StandInServices, programme
from workflows.family import facts
from workflows.family.workflow import FamilyLifecycle
from workflows.worker import workflow_runner

CONTACTED = FamilyContacted.subject
DAY = date(2090, 3, 8)


@pytest.fixture
def services() -> StandInServices:
    return StandInServices()


@pytest.fixture
async def env(services: StandInServices) -> AsyncIterator[WorkflowEnvironment]:
    async with programme(services) as env:
        yield env


def located(family: Family, attempt: int = 1) -> FamilyContacted:
    return FamilyContacted(
        family_id=family.family_id,
        attempt_number=attempt,
        attempted_on=DAY,
        channel="visita",
        located=True,
    )


async def failed_workflow_tasks(family: Family) -> list[str]:
    """Why the current run's workflow tasks failed, if any did (a wedged family's history)."""
    history = await family.handle.fetch_history()
    return [
        event.workflow_task_failed_event_attributes.failure.message
        for event in history.events
        if event.HasField("workflow_task_failed_event_attributes")
    ]


async def goes_on(
    family: Family, condition: Callable[[LifecycleView, list[str]], bool]
) -> LifecycleView:
    """The state once `condition(state, timeline kinds)` holds; fails at once, with the
    cause, if a workflow task failed on the way (what an unusable event did before)."""

    async def probe() -> tuple[list[str], LifecycleView | None, list[str]]:
        failures = await failed_workflow_tasks(family)
        if failures:  # a wedged workflow answers no query: say why at once
            return failures, None, []
        return failures, await family.state(), await family.kinds()

    failures, state, _ = await eventually(
        probe,
        until=lambda seen: bool(seen[0]) or (seen[1] is not None and condition(seen[1], seen[2])),
        timeout=10,
        interval=0.05,
    )
    assert failures == [], "the workflow task failed: the family is wedged"
    assert state is not None
    return state


def phase_is(phase: str) -> Callable[[LifecycleView, list[str]], bool]:
    return lambda state, _kinds: state.phase == phase


async def ignored_lines(family: Family) -> list[TimelineEntry]:
    return [e for e in await family.timeline() if e.kind == "ignorado"]


def without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


MALFORMED_CONTACTS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    "sin-fecha": (lambda d: without(d, "attempted_on"), "falta attempted_on"),
    "tipos-errados": (
        lambda d: {**d, "attempt_number": "primero", "located": "quizás"},
        "attempt_number: valor inválido (int_parsing); located: valor inválido (bool_parsing)",
    ),
    "campo-ajeno": (lambda d: {**d, "rut": "12345678-5"}, "rut: campo ajeno al contrato"),
    "otro-tipo-de-dato": (
        lambda d: {"family_id": d["family_id"], "period": "2090-03", "amount": 22_000},
        "falta attempt_number",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED_CONTACTS))
async def test_a_contact_that_fails_its_contract_is_ignored_and_the_next_one_applies(
    env: WorkflowEnvironment, case: str
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.on(DAY)
    good = family.envelope(located(family))
    broken, reason = MALFORMED_CONTACTS[case]
    bad = family.envelope(located(family)).model_copy(update={"data": broken(good.data)})
    await family.deliver(bad)
    await family.deliver(good)

    await goes_on(family, phase_is("invitacion"))
    [ignored] = await ignored_lines(family)
    assert ignored.event_id == bad.event_id
    assert ignored.actor == "afi.camila"
    assert ignored.description.startswith(f"Evento {CONTACTED} ignorado: no cumple su contrato (")
    assert reason in ignored.description
    kinds = await family.kinds()
    assert kinds.index("ignorado") < kinds.index("contacto")


async def test_an_event_the_family_workflow_does_not_know_is_ignored(
    env: WorkflowEnvironment,
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.on(DAY)
    unknown = family.envelope(located(family)).model_copy(
        update={"subject": "intake.evt.v2.family.contacted"}
    )
    await family.deliver(unknown)
    await family.send(located(family))

    await goes_on(family, phase_is("invitacion"))
    [ignored] = await ignored_lines(family)
    assert ignored.description == (
        "Evento intake.evt.v2.family.contacted ignorado: el proceso de la familia no conoce "
        "este tipo de evento"
    )


async def test_another_familys_fact_is_ignored_and_changes_nothing(
    env: WorkflowEnvironment,
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.on(DAY)
    stranger = uuid.uuid4()
    misrouted = family.envelope(located(family).model_copy(update={"family_id": stranger}))
    await family.deliver(misrouted)
    await family.send(located(family, attempt=1).model_copy(update={"located": False}))

    state = await goes_on(family, lambda _state, kinds: "contacto" in kinds)
    assert state.phase == "contacto"  # the other family's "located" did not locate this one
    [ignored] = await ignored_lines(family)
    assert ignored.description == (f"Evento {CONTACTED} ignorado: es de otra familia ({stranger})")


async def test_a_fact_the_state_cannot_take_is_ignored_and_a_corrected_one_applies(
    env: WorkflowEnvironment, services: StandInServices
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.on(DAY)
    *before_the_plan, plan = agreement(family.family_id, DAY)
    for fact in before_the_plan:
        await family.send(fact)
    await family.wait_for(lambda s: s.phase == "plan")
    # Plan month 1 would be January of year 10000: no calendar has it.
    assert isinstance(plan, PlanSigned)
    await family.send(plan.model_copy(update={"signed_on": date(9999, 12, 20)}))
    await family.send(plan)

    await goes_on(family, phase_is("acompanamiento"))
    [started] = [e for e in await family.timeline() if e.kind == "acompanamiento"]
    assert started.description.startswith("El mes 1 del plan es 04-2090")
    [ignored] = await ignored_lines(family)
    assert ignored.description.startswith(
        f"Evento {PlanSigned.subject} ignorado: no se puede aplicar al estado de la familia ("
    )
    plans = [e.description for e in await family.timeline() if e.kind == "plan"]
    assert plans == ["Plan de intervención firmado (versión 1, trayectoria simple)"]


async def test_a_signal_that_is_no_envelope_is_dropped_and_the_family_goes_on(
    env: WorkflowEnvironment,
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.on(DAY)
    # Not even an envelope (the bridge validates envelopes; this one bypassed it): the SDK
    # cannot decode the signal's argument and drops it.
    await family.handle.signal(SIGNAL_EVENT, {"subject": CONTACTED, "data": {}})
    await family.send(located(family))
    await goes_on(family, phase_is("invitacion"))


# Outside the sandbox: this test module's imports are not the workflow's to vet.
@workflow.defn(name=WORKFLOW_TYPE, sandboxed=False)
class FamilyLifecycleBeforeTheFix(FamilyLifecycle):
    """The workflow as it was: a payload that fails its contract raises in `run()`."""

    @workflow.run
    async def run(self, start: FamilyLifecycleInput) -> str:
        return await super().run(start)

    def _drain_inbox(self) -> None:
        for event in self._inbox:
            model = facts.FACTS.get(event.subject)
            if model is not None:
                event.payload(model)
        super()._drain_inbox()


async def test_a_family_wedged_by_a_bad_event_goes_on_once_the_fixed_worker_runs() -> None:
    """Families already wedged need no `workflow.patched`: a failed workflow task leaves no
    command in the history, so the fixed code simply completes it. (About 10 s: the SDK
    lets a task that fails again time out rather than report it, and the fixed worker
    gets it after the task timeout.)"""
    services = StandInServices()
    env = await time_skipping_environment()

    def worker(workflow_class: type) -> Worker:
        return Worker(
            env.client,
            task_queue=TASK_QUEUE,
            workflows=[workflow_class],
            activities=services.activities(),
            workflow_runner=workflow_runner(),
        )

    try:
        async with worker(FamilyLifecycleBeforeTheFix):
            family = await Family.referred_on(env, date(2090, 3, 4))
            await family.on(DAY)
            bad = family.envelope(located(family))
            bad = bad.model_copy(update={"data": without(bad.data, "attempted_on")})
            await family.deliver(bad)
            [failure] = await eventually(
                lambda: failed_workflow_tasks(family), timeout=10, interval=0.05
            )
            assert "attempted_on" in failure
        async with worker(FamilyLifecycle):
            await family.send(located(family))
            await eventually(family.state, until=lambda s: s.phase == "invitacion", timeout=30)
            [ignored] = await ignored_lines(family)
            assert ignored.event_id == bad.event_id
    finally:
        await env.shutdown()
