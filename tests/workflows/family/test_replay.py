"""Stored histories of families replay on today's workflow code (ARCHITECTURE.md rule 4).

A change to `FamilyLifecycle` that would break a family already running fails here, in CI,
before it reaches a worker. See workflows/README.md for how to change the workflow safely.
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
from shared.temporal import DATA_CONVERTER
from workflows.family.workflow import FamilyLifecycle
from workflows.worker import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    assert len(HISTORIES) >= 3


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
    path = HISTORIES[0]
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    with pytest.raises(NondeterminismError, match=r"[Nn]ondeterminism"):
        await replayer.replay_workflow(history)
