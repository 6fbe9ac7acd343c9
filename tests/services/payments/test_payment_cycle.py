"""The monthly payment cycle against real PostgreSQL, NATS, Temporal and the bank simulator.

Each test gets its own payments database and bus prefix, a worker on its own task queue
and a fresh simulated bank, and proves the money rules: each (family, period, concept)
paid at most once, every order paid, pending, retried or expired (none lost), the
ledger balanced — with duplicated bank messages, partial answers, rejects, a worker
stopped while the bank works, a bank that times out and a restarted cycle.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import text
from stdnum.cl import rut as stdnum_rut
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.worker import Worker

from services.payments.payees import payee_service
from services.payments.schemas import PayeeChannelIn
from shared.bus.client import Bus
from shared.contracts import subjects
from shared.contracts.payments import (
    PAYMENT_CYCLE_WORKFLOW,
    QUERY_CYCLE_PROGRESS,
    BatchesBuilt,
    BuildBatches,
    CycleOpened,
    OpenCycle,
    PaymentCycleInput,
    PaymentCycleView,
    payment_cycle_workflow_id,
)
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.temporal import connect_temporal
from tests.support.bank import bank_simulator, set_faults
from tests.support.clock import TODAY
from tests.support.histories import keep_history
from tests.support.payments import isolated_payments, register_month
from tests.support.waiting import eventually
from workflows.payment_cycle.activities import PaymentCycleActivities
from workflows.payment_cycle.workflow import PaymentCycle, PaymentCycleScheduled
from workflows.worker import workflow_runner

AMOUNT_2030_MONTH_1 = 24_523  # plan month 1 under the last known row (Feb 2026)


@dataclass
class CycleEnv:
    settings: Settings
    http: httpx.AsyncClient
    runtime: ServiceRuntime
    bus: Bus
    temporal: Client
    bank_url: str
    task_queue: str

    def worker(self) -> Worker:
        return Worker(
            self.temporal,
            task_queue=self.task_queue,
            workflows=[PaymentCycle, PaymentCycleScheduled],
            activities=PaymentCycleActivities(self.bus).all(),
            workflow_runner=workflow_runner(),
        )

    async def start(
        self,
        period: str,
        *,
        reuse: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        bank_wait_hours: float = 1,
    ) -> WorkflowHandle[Any, PaymentCycleView]:
        cycle = PaymentCycleInput(period=period, poll_seconds=0.2, bank_wait_hours=bank_wait_hours)
        return await self.temporal.start_workflow(
            PAYMENT_CYCLE_WORKFLOW,
            args=[cycle, None],
            id=f"{self.task_queue}:{payment_cycle_workflow_id(period)}",
            task_queue=self.task_queue,
            id_reuse_policy=reuse,
            result_type=PaymentCycleView,
        )

    async def run_cycle(self, period: str, *, history: str | None = None) -> PaymentCycleView:
        async with self.worker():
            handle = await self.start(period)
            view = await handle.result()
        if history is not None:
            await keep_history(handle, history)
        return view

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(text(statement), params)).all())

    async def cuadratura(self, period: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/cycles/{period}/cuadratura")
        assert response.status_code == 200, response.text
        return dict(response.json())


@asynccontextmanager
async def cycle_env(
    it_settings: Settings, data_dir: Path, **overrides: Any
) -> AsyncIterator[CycleEnv]:
    base = it_settings.model_copy(update={"data_dir": data_dir})
    with bank_simulator(base, data_dir, "--retraso", "0") as bank_url:
        # Several batches from a few dozen orders; a bank that keeps a file more than 1 s
        # times the upload out.
        defaults: dict[str, Any] = {"bank_timeout_seconds": 1.0, "payments_batch_size": 7}
        async with isolated_payments(base, bank_url=bank_url, **(defaults | overrides)) as payments:
            temporal = await connect_temporal(payments.settings)
            yield CycleEnv(
                payments.settings,
                payments.client,
                payments.runtime,
                payments.bus,
                temporal,
                bank_url,
                f"pc-{payments.tag}",
            )


def a_run(rng: random.Random) -> str:
    body = str(rng.randint(5_000_000, 25_000_000))
    return f"{body}{stdnum_rut.calc_check_digit(body)}"


async def families(
    env: CycleEnv, count: int, period: date, *, closed_accounts: int = 0, seed: int = 1
) -> list[UUID]:
    """`count` families with a payee and the month's entitlement; the first
    `closed_accounts` get an account the simulated bank treats as closed."""
    rng = random.Random(seed)
    ids = [uuid4() for _ in range(count)]
    async with env.runtime.sessions() as session, session.begin():
        for index, family_id in enumerate(ids):
            await payee_service.set_representative(
                session, family_id, member_id=uuid4(), run=a_run(rng), name="Integrante Ñuñoa"
            )
            if index < closed_accounts:
                account = PayeeChannelIn(
                    channel="transferencia",
                    bank_code="001",
                    account_kind="cuenta_corriente",
                    account_number=f"12{index:02d}0000",
                    reason="cuenta informada por la familia",
                )
                await payee_service.change_channel(session, family_id, account, actor="prueba")
    for family_id in ids:
        await register_month(env.bus, family_id, period, plan_month=1)
    return ids


async def assert_paid_at_most_once(env: CycleEnv) -> None:
    twice = await env.sql(
        "SELECT order_id FROM batch_lines WHERE status IN ('settled', 'claimed') "
        "GROUP BY order_id HAVING count(*) > 1"
    )
    assert twice == []
    mismatched = await env.sql(
        "SELECT o.id FROM payment_orders o WHERE (o.state = 'settled') <> EXISTS ("
        "SELECT 1 FROM batch_lines l WHERE l.order_id = o.id "
        "AND l.status IN ('settled', 'claimed'))"
    )
    assert mismatched == []


async def events(env: CycleEnv, subject: str) -> int:
    rows = await env.sql("SELECT count(*) FROM outbox WHERE subject = :s", s=subject)
    return int(rows[0][0])


async def test_a_cycle_pays_each_order_once_retries_rejects_and_expires_in_person(
    it_settings: Settings, tmp_path: Path
) -> None:
    async with cycle_env(it_settings, tmp_path) as env:
        set_faults(env.bank_url, duplicate_messages=True, partial=True, delay_seconds=0)
        await families(env, 30, date(2030, 1, 1), closed_accounts=3)

        march = await env.run_cycle("2030-01", history="payment-cycle-rejects")
        progress = march.progress
        assert progress is not None
        assert march.opened is not None
        assert march.opened.pending_orders == 30
        assert march.batches_built == 5  # 30 orders in batches of 7
        assert (progress.transfers, progress.settled, progress.rejected) == (30, 27, 3)
        assert progress.rejected_by_reason == {"cuenta cerrada (AC04)": 3}
        assert progress.settled_amount == 27 * AMOUNT_2030_MONTH_1
        assert progress.problems == []
        assert progress.closed
        # Every bank message came twice; each was applied once.
        assert await events(env, subjects.TRANSFER_SETTLED) == 27
        assert await events(env, subjects.TRANSFER_REJECTED) == 3
        books = await env.cuadratura("2030-01")
        assert books["balanced"], books["problems"]
        assert (books["owed"], books["paid"], books["pending"]) == (
            30 * AMOUNT_2030_MONTH_1,
            27 * AMOUNT_2030_MONTH_1,
            3 * AMOUNT_2030_MONTH_1,
        )

        # Next month the three rejected orders are retried, rejected again, and their
        # payees move to the in-person channel (policy: 2 rejects in a row).
        april = await env.run_cycle("2030-02", history="payment-cycle-all-rejected")
        assert april.progress is not None
        assert (april.progress.transfers, april.progress.rejected) == (3, 3)
        rejected_families = await env.sql(
            "SELECT DISTINCT family_id FROM batch_lines WHERE status = 'rejected'"
        )
        for (family_id,) in rejected_families:
            payee = (await env.http.get(f"/v1/families/{family_id}/payee")).json()
            assert payee["channel"] == "presencial"
        # The family's timeline hears it from the second rejection's event.
        reasons = await env.sql(
            "SELECT payload->'data'->>'reason' FROM outbox WHERE subject = :s",
            s=subjects.TRANSFER_REJECTED,
        )
        assert sorted("presencial" in r[0] for r in reasons) == [False] * 3 + [True] * 3

        # Third cycle: the three go to the counter; one family collects, two never do.
        may = await env.run_cycle("2030-03", history="payment-cycle-in-person")
        assert may.progress is not None
        assert may.progress.in_person_available == 3
        available = await env.sql(
            "SELECT end_to_end_id FROM batch_lines WHERE status = 'available' ORDER BY 1"
        )
        claimed = await env.http.post(f"/v1/in-person-payments/{available[0][0]}/claim")
        assert claimed.status_code == 200, claimed.text
        settled_on = await env.sql(
            "SELECT settled_on FROM batch_lines WHERE end_to_end_id = :r", r=available[0][0]
        )
        assert settled_on[0][0] == TODAY  # collected the day the service learns it
        again = await env.http.post(f"/v1/in-person-payments/{available[0][0]}/claim")
        assert again.status_code == 409
        assert "cobrada" in again.json()["detail"]

        # Six months later the two unclaimed payments expire: renounced, not lost.
        october = await env.run_cycle("2030-09", history="payment-cycle-expiry")
        assert october.opened is not None
        assert october.opened.expired == 2
        assert await events(env, subjects.TRANSFER_EXPIRED) == 2
        books = await env.cuadratura("2030-01")
        assert books["balanced"], books["problems"]
        assert (books["paid"], books["expired"], books["pending"]) == (
            28 * AMOUNT_2030_MONTH_1,
            2 * AMOUNT_2030_MONTH_1,
            0,
        )
        await assert_paid_at_most_once(env)


async def test_a_worker_stopped_while_the_bank_works_loses_and_doubles_nothing(
    it_settings: Settings, tmp_path: Path
) -> None:
    async with cycle_env(it_settings, tmp_path) as env:
        set_faults(env.bank_url, delay_seconds=2)
        await families(env, 15, date(2030, 1, 1), seed=2)
        async with env.worker():
            handle = await env.start("2030-01")

            async def step() -> str:
                view = await handle.query(QUERY_CYCLE_PROGRESS, result_type=PaymentCycleView)
                return view.step

            await eventually(step, until=lambda s: s == "esperando al banco", timeout=30)
        # The worker is gone between "file sent" and "status applied"; another takes over.
        set_faults(env.bank_url, duplicate_messages=True)
        async with env.worker():
            view = await handle.result()
        await keep_history(handle, "payment-cycle-worker-replaced")
        assert view.progress is not None
        assert (view.progress.settled, view.progress.in_flight) == (15, 0)
        assert await events(env, subjects.TRANSFER_SETTLED) == 15
        assert (await env.cuadratura("2030-01"))["balanced"]
        await assert_paid_at_most_once(env)


async def test_a_bank_that_times_out_gets_the_same_file_again_and_pays_it_once(
    it_settings: Settings, tmp_path: Path
) -> None:
    async with cycle_env(it_settings, tmp_path) as env:
        # The bank keeps every file but answers the upload after 3 s; we wait 1 s.
        set_faults(env.bank_url, response_delay_seconds=3, delay_seconds=0)
        await families(env, 5, date(2030, 1, 1), seed=3)
        async with env.worker():
            handle = await env.start("2030-01")
            # The bank's answers arrive although the upload "failed": it kept the file.
            bank = httpx.AsyncClient(base_url=env.bank_url)

            async def answers() -> int:
                return len((await bank.get("/v1/mensajes", params={"despues": 0})).json())

            await eventually(answers, until=lambda n: n >= 2, timeout=30)
            set_faults(env.bank_url, response_delay_seconds=0)
            view = await handle.result()
            await bank.aclose()
        await keep_history(handle, "payment-cycle-bank-timeout")
        assert view.progress is not None
        assert (view.progress.settled, view.progress.problems) == (5, [])
        # Received, as its answers show, whether or not the upload retried got its receipt.
        receipts = await env.sql("SELECT state, receipt FROM batches")
        assert [state for state, _ in receipts] == ["submitted"]
        assert all(r is None or r.startswith("REC-") for _, r in receipts)
        assert await events(env, subjects.TRANSFER_SETTLED) == 5
        await assert_paid_at_most_once(env)


async def test_a_restarted_cycle_sends_what_an_earlier_run_built_and_builds_nothing_twice(
    it_settings: Settings, tmp_path: Path
) -> None:
    async with cycle_env(it_settings, tmp_path) as env:
        await families(env, 10, date(2030, 1, 1), seed=4)
        # An earlier run cut off and built two batches, then died before sending them.
        await env.bus.request(subjects.CYCLE_OPEN, OpenCycle(period="2030-01"), CycleOpened)
        built = await env.bus.request(
            subjects.CYCLE_BUILD, BuildBatches(period="2030-01", max_batches=1), BatchesBuilt
        )
        assert len(built.batch_ids) == 1
        view = await env.run_cycle("2030-01", history="payment-cycle-restarted")
        assert view.progress is not None
        assert view.batches_built == 2  # the orphan batch and one more for the other 3
        assert (view.progress.transfers, view.progress.settled) == (10, 10)
        # Run it once more: nothing left to build, nothing paid twice.
        again = await env.run_cycle("2030-01", history="payment-cycle-nothing-left")
        assert again.batches_built == 0
        assert (await env.cuadratura("2030-01"))["balanced"]
        await assert_paid_at_most_once(env)
