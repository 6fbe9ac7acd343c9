"""Stored histories replay on today's workflow code (ARCHITECTURE.md rule 4).

`tests/workflows/histories/` holds families' `FamilyLifecycle` runs (recorded by
test_lifecycle_paths.py) and monthly `PaymentCycle` runs (`payment-cycle-*`, recorded by
tests/services/payments/test_payment_cycle.py: rejects, a replaced worker, a bank that
times out, a restarted cycle…). A change to either workflow that would break a run already
going fails here, in CI, before it reaches a worker. See workflows/README.md for how to
change a workflow safely.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from shared.contracts.lifecycle import WORKFLOW_TYPE, FamilyLifecycleInput
from shared.contracts.payments import PAYMENT_CYCLE_WORKFLOW, PaymentCycleInput, PaymentCycleView
from shared.temporal import DATA_CONVERTER
from workflows.family.workflow import FamilyLifecycle
from workflows.payment_cycle.workflow import PaymentCycle
from workflows.worker import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def workflow_type(path: Path) -> str:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


FAMILY_HISTORIES = [p for p in HISTORIES if workflow_type(p) == WORKFLOW_TYPE]
CYCLE_HISTORIES = [p for p in HISTORIES if workflow_type(p) == PAYMENT_CYCLE_WORKFLOW]


def test_there_are_histories_to_replay() -> None:
    assert len(FAMILY_HISTORIES) >= 3
    assert len(CYCLE_HISTORIES) >= 3
    assert len(FAMILY_HISTORIES) + len(CYCLE_HISTORIES) == len(HISTORIES)


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_a_stored_history_replays_without_nondeterminism(path: Path) -> None:
    replayer = Replayer(
        workflows=WORKFLOWS, workflow_runner=workflow_runner(), data_converter=DATA_CONVERTER
    )
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    await replayer.replay_workflow(history)


# Outside the sandbox: this test module's imports are not the workflow's to vet.
@workflow.defn(name=WORKFLOW_TYPE, sandboxed=False)
class FamilyLifecycleWithAnExtraTimer(FamilyLifecycle):
    """Today's workflow with one more command at the start: what an unpatched change does."""

    @workflow.run
    async def run(self, start: FamilyLifecycleInput) -> str:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(start)


async def test_the_replay_catches_a_change_that_would_break_running_families() -> None:
    replayer = Replayer(
        workflows=[FamilyLifecycleWithAnExtraTimer],
        workflow_runner=workflow_runner(),
        data_converter=DATA_CONVERTER,
    )
    path = FAMILY_HISTORIES[0]
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    with pytest.raises(NondeterminismError, match=r"[Nn]ondeterminism"):
        await replayer.replay_workflow(history)


@workflow.defn(name=PAYMENT_CYCLE_WORKFLOW, sandboxed=False)
class PaymentCycleWithAnExtraTimer(PaymentCycle):
    """Today's payment cycle with one more command at the start, unpatched."""

    @workflow.run
    async def run(
        self, params: PaymentCycleInput, carried: PaymentCycleView | None = None
    ) -> PaymentCycleView:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(params, carried)


@pytest.mark.parametrize("path", CYCLE_HISTORIES, ids=[p.stem for p in CYCLE_HISTORIES])
async def test_the_replay_catches_a_change_that_would_break_a_running_payment_cycle(
    path: Path,
) -> None:
    replayer = Replayer(
        workflows=[PaymentCycleWithAnExtraTimer],
        workflow_runner=workflow_runner(),
        data_converter=DATA_CONVERTER,
    )
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    with pytest.raises(NondeterminismError, match=r"[Nn]ondeterminism"):
        await replayer.replay_workflow(history)
