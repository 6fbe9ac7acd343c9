"""FamilyLifecycle paths on the time-skipping server, with real NATS, PostgreSQL, services.

Facts arrive as the bridge delivers them (the `evento` signal with real envelopes); months
pass with the test server's skipped time, and the session's services follow that clock
while these paths run (on the tests' fixed clock before and after). Each path ends where
DOMAIN.md §2 says it does.
The same paths and more, with the services stood in, run in seconds in `test_phases.py`;
these check that the real services answer the workflow's commands, and record the
histories the replay suite keeps.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shared.bus.client import Bus
from shared.contracts.envelope import Envelope, EventData
from shared.contracts.intake import (
    FamilyCommitted,
    FamilyContacted,
    FamilyInvited,
    FamilyReferred,
)
from shared.contracts.lifecycle import (
    QUERY_STATE,
    QUERY_TIMELINE,
    SIGNAL_EVENT,
    AbandonmentDecision,
    CloseRequest,
    DateCorrection,
    FamilyLifecycleInput,
    LifecycleView,
    TimelineEntry,
    family_workflow_id,
)
from shared.contracts.plans import (
    AbandonmentReported,
    EvaluationCompleted,
)
from tests.conftest import ServiceUnderTest
from tests.support.data import family_payload
from tests.support.facts import agreement
from tests.support.timeskip import SkippedClock, services_following
from tests.support.waiting import eventually
from workflows.worker import WORKFLOWS, activities_for, workflow_runner

SANTIAGO = ZoneInfo("America/Santiago")
Handle = WorkflowHandle[Any, Any]
HISTORIES = Path(__file__).resolve().parents[1] / "histories"


async def keep_history(family: Family, name: str) -> None:
    """With FAMILIAS_GRABAR_HISTORIAS=1, store the run's history for the replay test.

    Record again only when a change is *meant* to be incompatible; otherwise the stored
    histories are what running families look like, and replaying them is the check.
    """
    if os.environ.get("FAMILIAS_GRABAR_HISTORIAS") != "1":
        return
    history = await family.latest.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json())


@pytest.fixture(scope="module")
async def clock(
    time_skipping: WorkflowEnvironment,
    intake: ServiceUnderTest,
    plans: ServiceUnderTest,
    payments: ServiceUnderTest,
) -> AsyncIterator[SkippedClock]:
    """Intake, plans and payments date what they record by the test server's clock here, so
    they live in the workflows' month; the fixed clock is theirs again afterwards."""
    runtimes = [intake.runtime, plans.runtime, payments.runtime]
    async with services_following(time_skipping, runtimes) as following:
        yield following


@pytest.fixture(scope="module")
async def worker(
    time_skipping: WorkflowEnvironment,
    it_bus: Bus,
    plans: ServiceUnderTest,
    intake: ServiceUnderTest,
    payments: ServiceUnderTest,
) -> AsyncIterator[str]:
    task_queue = f"paths-{uuid.uuid4().hex[:8]}"
    async with Worker(
        time_skipping.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(it_bus),
        workflow_runner=workflow_runner(),
    ):
        yield task_queue


async def today(env: WorkflowEnvironment) -> date:
    return (await env.get_current_time()).astimezone(SANTIAGO).date()


class Family:
    """One family registered in intake, its workflow started as the bridge would."""

    def __init__(self, env: WorkflowEnvironment, handle: Handle, family_id: uuid.UUID) -> None:
        self.env = env
        self.handle = handle
        self.family_id = family_id

    @classmethod
    async def referred(
        cls,
        env: WorkflowEnvironment,
        clock: SkippedClock,
        task_queue: str,
        intake: ServiceUnderTest,
        **policy: int,
    ) -> Family:
        await clock.follow(env)  # intake dates the referral: the test server's today
        created = await intake.client.post("/v1/families", json=family_payload())
        assert created.status_code == 201, created.text
        body = created.json()
        family_id = uuid.UUID(body["id"])
        referred_on = date.fromisoformat(body["referred_on"])
        assert referred_on == await today(env)  # intake lives in the workflows' day
        event = Envelope.wrap(
            FamilyReferred(
                family_id=family_id,
                family_code=body["family_code"],
                comuna=body["comuna"],
                cohort_year=body["cohort_year"],
                referred_on=referred_on,
                member_count=len(body["members"]),
            ),
            producer="intake",
            family_id=family_id,
        )
        handle = await env.client.start_workflow(
            "FamilyLifecycle",
            FamilyLifecycleInput(
                family_id=family_id,
                comuna=body["comuna"],
                cohort_year=body["cohort_year"],
                referred_on=referred_on,
                policy=policy or None,
            ),
            id=family_workflow_id(family_id),
            task_queue=task_queue,
            start_signal=SIGNAL_EVENT,
            start_signal_args=[event],
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        family = cls(env, handle, family_id)
        await family.wait_phase("contacto")
        return family

    @property
    def latest(self) -> Handle:
        """The current run: continue-as-new starts a new one each month."""
        return self.env.client.get_workflow_handle(self.handle.id)

    async def send(self, payload: EventData, actor: str = "afi.camila") -> None:
        envelope = Envelope.wrap(payload, producer="tests", actor=actor, family_id=self.family_id)
        await self.latest.signal(SIGNAL_EVENT, envelope)

    async def state(self) -> LifecycleView:
        return await self.latest.query(QUERY_STATE, result_type=LifecycleView)

    async def timeline(self) -> list[TimelineEntry]:
        return await self.latest.query(QUERY_TIMELINE, result_type=list[TimelineEntry])

    async def wait_phase(self, phase: str) -> LifecycleView:
        return await eventually(self.state, until=lambda s: s.phase == phase, timeout=30)

    async def to_accompaniment(self) -> None:
        for fact in agreement(self.family_id, await today(self.env)):
            await self.send(fact)
        await self.wait_phase("acompanamiento")

    async def kinds(self) -> list[str]:
        return [e.kind for e in await self.timeline()]


async def test_a_family_completes_its_24_months(
    time_skipping: WorkflowEnvironment,
    clock: SkippedClock,
    worker: str,
    intake: ServiceUnderTest,
    payments: ServiceUnderTest,
) -> None:
    family = await Family.referred(time_skipping, clock, worker, intake, months_without_session=36)
    await family.to_accompaniment()
    started = time.perf_counter()
    await clock.skip(time_skipping, timedelta(days=26 * 31))
    state = await family.wait_phase("evaluacion")
    elapsed = time.perf_counter() - started
    assert state.plan_month == 24
    await family.send(
        EvaluationCompleted(
            family_id=family.family_id,
            evaluated_on=await today(time_skipping),
            goals_achieved=3,
            goals_total=3,
        )
    )
    assert await family.latest.result() == "cumplimiento"
    kinds = await family.kinds()
    assert kinds.count("mes") == 24 + 24  # each month begins and closes
    assert kinds[-1] == "egreso"
    # Each month's transfer was registered once, at the tariffs in force that month.
    owed = (await payments.client.get(f"/v1/families/{family.family_id}/entitlements")).json()
    assert [e["plan_month"] for e in owed] == list(range(1, 25))
    # The newest rows (DOMAIN.md §3: Protección from Feb 2026, SUF from May 2025) hold for
    # every month from the test server's start on: 6 × 24,523 + 6 × 18,664 + 6 × 12,832
    # + 6 × 22,007 (tranche 4, the SUF) = 468,156.
    assert [e["amount"] for e in owed[:1] + owed[6:7] + owed[12:13] + owed[18:19]] == [
        24_523, 18_664, 12_832, 22_007,
    ]  # fmt: skip
    assert sum(e["amount"] for e in owed) == 468_156
    assert kinds.count("derecho") == 24
    shown = (await intake.client.get(f"/v1/families/{family.family_id}/process")).json()
    assert shown["exit_cause"] == "cumplimiento"
    history = await family.latest.fetch_history()
    assert len(history.events) < 200  # continue-as-new keeps each run small
    await keep_history(family, "cumplimiento-ultimo-mes")
    print(f"24 meses en {elapsed:.2f} s de reloj")


async def test_an_unlocated_family_exits_when_the_contact_deadline_passes(
    time_skipping: WorkflowEnvironment, clock: SkippedClock, worker: str, intake: ServiceUnderTest
) -> None:
    family = await Family.referred(time_skipping, clock, worker, intake, contact_deadline_days=10)
    await family.send(
        FamilyContacted(
            family_id=family.family_id,
            attempt_number=1,
            attempted_on=await today(time_skipping),
            channel="telefono",
            located=False,
        )
    )
    await clock.skip(time_skipping, timedelta(days=11))
    assert await family.latest.result() == "no_localizada"
    assert "contacto" in await family.kinds()


async def test_a_family_that_declines_exits_as_rechaza(
    time_skipping: WorkflowEnvironment, clock: SkippedClock, worker: str, intake: ServiceUnderTest
) -> None:
    family = await Family.referred(time_skipping, clock, worker, intake)
    day = await today(time_skipping)
    fid = family.family_id
    # Out of order: the invitation arrives before the contact that located the family.
    await family.send(
        FamilyInvited(family_id=fid, invited_on=day, accepted=False, reason="No desea")
    )
    await family.send(
        FamilyContacted(
            family_id=fid, attempt_number=1, attempted_on=day, channel="visita", located=True
        )
    )
    assert await family.latest.result() == "rechaza"


async def test_a_late_diagnosis_is_reminded_then_escalated(
    time_skipping: WorkflowEnvironment, clock: SkippedClock, worker: str, intake: ServiceUnderTest
) -> None:
    family = await Family.referred(time_skipping, clock, worker, intake)
    day = await today(time_skipping)
    fid = family.family_id
    await family.send(
        FamilyContacted(
            family_id=fid, attempt_number=1, attempted_on=day, channel="visita", located=True
        )
    )
    await family.send(FamilyInvited(family_id=fid, invited_on=day, accepted=True))
    await family.send(
        FamilyCommitted(
            family_id=fid,
            signed_on=day,
            representative_member_id=uuid.uuid4(),
            document_ref="c.pdf",
        )
    )
    await family.wait_phase("diagnostico")
    await clock.skip(time_skipping, timedelta(days=31))
    kinds = await eventually(family.kinds, until=lambda k: "recordatorio" in k)
    assert "escalamiento" not in kinds
    await clock.skip(time_skipping, timedelta(days=8))
    await eventually(family.kinds, until=lambda k: "escalamiento" in k)
    state = await family.state()
    assert "diagnostico" in state.pending_tasks
    await keep_history(family, "diagnostico-escalado-en-curso")


async def test_abandonment_opened_then_confirmed_by_the_unit_head(
    time_skipping: WorkflowEnvironment, clock: SkippedClock, worker: str, intake: ServiceUnderTest
) -> None:
    family = await Family.referred(time_skipping, clock, worker, intake)
    await family.to_accompaniment()
    with pytest.raises(WorkflowUpdateFailedError):  # no procedure open yet
        await family.latest.execute_update(
            "decidir_abandono", AbandonmentDecision(confirmar=True, motivo="x" * 5, usuario="jefa")
        )
    await clock.skip(time_skipping, timedelta(days=4 * 31))  # months 1 and 2 without sessions
    state = await eventually(family.state, until=lambda s: s.pending_tasks != [])
    assert state.waiting_for == "visita domiciliaria por abandono"
    await family.send(
        AbandonmentReported(
            family_id=family.family_id,
            record_id=uuid.uuid4(),
            kind="visita",
            dated=await today(time_skipping),
        )
    )
    await eventually(family.state, until=lambda s: s.waiting_for and "decisión" in s.waiting_for)
    await family.latest.execute_update(
        "decidir_abandono",
        AbandonmentDecision(
            confirmar=True, motivo="Sin contacto desde hace meses", usuario="jefa.unidad"
        ),
    )
    assert await family.latest.result() == "abandono"
    await keep_history(family, "abandono-confirmado")
    timeline = await family.timeline()
    decision = next(e for e in timeline if e.kind == "decision")
    assert decision.actor == "jefa.unidad"


async def test_abandonment_reinstated_keeps_the_months_counted(
    time_skipping: WorkflowEnvironment,
    clock: SkippedClock,
    worker: str,
    intake: ServiceUnderTest,
    payments: ServiceUnderTest,
) -> None:
    family = await Family.referred(time_skipping, clock, worker, intake)
    await family.to_accompaniment()
    await clock.skip(time_skipping, timedelta(days=4 * 31))
    await eventually(family.state, until=lambda s: s.pending_tasks != [])
    month_before = (await family.state()).plan_month

    async def order_states() -> set[str]:
        orders = await payments.client.get(f"/v1/families/{family.family_id}/orders")
        return {o["status_label"] for o in orders.json()}

    # While the procedure is open the family's payments are held, not dropped.
    assert await eventually(order_states, until=lambda s: s == {"retenida"}) == {"retenida"}
    await family.send(
        AbandonmentReported(
            family_id=family.family_id, record_id=uuid.uuid4(), kind="visita",
            dated=await today(time_skipping),
        )
    )  # fmt: skip
    await eventually(family.state, until=lambda s: s.waiting_for and "decisión" in s.waiting_for)
    state = await family.latest.execute_update(
        "decidir_abandono",
        AbandonmentDecision(confirmar=False, motivo="Retoma las sesiones", usuario="jefa.unidad"),
        result_type=LifecycleView,
    )
    assert state.phase == "acompanamiento"
    assert state.pending_tasks == []
    assert state.plan_month == month_before
    # Reinstated: the held orders wait for the next cycle again.
    await eventually(order_states, until=lambda s: s == {"pendiente"})
    assert (await family.kinds()).count("retencion") == 2
    await keep_history(family, "abandono-reincorporado-con-retencion")


async def test_resignation_and_date_correction_through_updates(
    time_skipping: WorkflowEnvironment, clock: SkippedClock, worker: str, intake: ServiceUnderTest
) -> None:
    family = await Family.referred(time_skipping, clock, worker, intake)
    day = await today(time_skipping)
    fid = family.family_id
    await family.send(
        FamilyContacted(
            family_id=fid, attempt_number=1, attempted_on=day, channel="visita", located=True
        )
    )
    await family.send(FamilyInvited(family_id=fid, invited_on=day, accepted=True))
    await family.send(
        FamilyCommitted(
            family_id=fid,
            signed_on=day,
            representative_member_id=uuid.uuid4(),
            document_ref="c.pdf",
        )
    )
    before = await family.wait_phase("diagnostico")
    corrected = await family.latest.execute_update(
        "corregir_fecha",
        DateCorrection(
            hecho="compromiso",
            fecha=day - timedelta(days=10),
            motivo="Error de digitación",
            usuario="afi",
        ),
        result_type=LifecycleView,
    )
    assert before.next_deadline is not None
    assert corrected.next_deadline == before.next_deadline - timedelta(days=10)
    with pytest.raises(WorkflowUpdateFailedError):
        await family.latest.execute_update(
            "cerrar", CloseRequest(causal="cumplimiento", motivo="No corresponde", usuario="afi")
        )
    await family.latest.execute_update(
        "cerrar",
        CloseRequest(causal="renuncia", motivo="La familia renuncia por escrito", usuario="afi"),
    )
    assert await family.latest.result() == "renuncia"
    await keep_history(family, "renuncia-con-correccion-de-fecha")
    shown = (await intake.client.get(f"/v1/families/{fid}/process")).json()
    assert shown["status"] == "closed"
