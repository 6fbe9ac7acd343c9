"""Every batch built is sent, once, whatever step, attempt or cycle built it; a file the bank
refuses whole comes back as pending orders, not a failed cycle; eight files reach a slow
bank together. Against real PostgreSQL, NATS, Temporal and the bank simulator."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.payments.cycle import CycleService
from shared.contracts import subjects
from shared.contracts.payments import (
    BatchesBuilt,
    BuildBatches,
    CycleOpened,
    CycleProgress,
    OpenCycle,
    PollBank,
)
from shared.settings import Settings
from tests.services.payments.test_payment_cycle import (
    AMOUNT_2030_MONTH_1,
    CycleEnv,
    assert_paid_at_most_once,
    cycle_env,
    families,
)
from tests.support.bank import set_faults
from tests.support.histories import keep_history
from tests.support.waiting import eventually

PERIOD = "2030-01"


async def bank_statistics(env: CycleEnv) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=env.bank_url) as bank:
        found: dict[str, Any] = (await bank.get("/v1/estadisticas")).json()
        return found


async def test_batches_a_build_committed_before_failing_are_sent_not_stranded(
    it_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fault run of issue 15: payments dies during batch building. A build step that
    committed a batch and never answered is retried, and the retry returned without it."""
    async with cycle_env(it_settings, tmp_path, payments_batch_size=1) as env:
        # 24 batches of one transfer: two build steps (20, then 4).
        await families(env, 24, date(2030, 1, 1), seed=9)
        build = CycleService.build_batches
        calls = 0

        async def killed_mid_build(self: CycleService, *args: Any, **kwargs: Any) -> BatchesBuilt:
            nonlocal calls
            calls += 1
            if calls == 2:
                # The second step commits one batch, then the process dies before answering.
                await build(self, *args, **{**kwargs, "max_batches": 1})
                raise RuntimeError("payments terminado a mitad del armado de lotes")
            return await build(self, *args, **kwargs)

        monkeypatch.setattr(CycleService, "build_batches", killed_mid_build)
        async with env.worker():
            # Before the fix the stranded batch kept one transfer in flight until the wait
            # ran out: 36 s here instead of the 72 h a real cycle waits.
            handle = await env.start(PERIOD, bank_wait_hours=0.01)
            view = await handle.result()
        await keep_history(handle, "payment-cycle-unsent-after-failed-build")

        assert calls == 3
        assert view.progress is not None
        assert not view.timed_out
        assert (view.progress.transfers, view.progress.settled, view.progress.in_flight) == (
            24,
            24,
            0,
        )
        assert await env.sql("SELECT state, count(*) FROM batches GROUP BY 1") == [
            ("submitted", 24)
        ]
        statistics = await bank_statistics(env)
        assert sorted(statistics["uploads"].values()) == [1] * 24  # each file sent once
        books = await env.cuadratura(PERIOD)
        assert books["balanced"], books["problems"]
        assert books["paid"] == 24 * AMOUNT_2030_MONTH_1
        await assert_paid_at_most_once(env)


async def test_a_batch_built_and_never_sent_is_flagged_until_a_later_cycle_sends_it(
    it_settings: Settings, tmp_path: Path
) -> None:
    # Flag at once (the default bound is 30 minutes).
    async with cycle_env(it_settings, tmp_path, payments_unsent_alert_minutes=0) as env:
        await families(env, 5, date(2030, 1, 1), seed=10)
        # January's cycle cut off and built its batch, and nothing ever sent it.
        await env.bus.request(subjects.CYCLE_OPEN, OpenCycle(period=PERIOD), CycleOpened)
        await env.bus.request(
            subjects.CYCLE_BUILD, BuildBatches(period=PERIOD, max_batches=5), BatchesBuilt
        )

        books = await env.cuadratura(PERIOD)
        assert not books["balanced"]
        assert any("5 órdenes en lotes armados" in p for p in books["problems"])
        progress = (await env.http.get(f"/v1/cycles/{PERIOD}")).json()
        assert (progress["unsent_batches"], progress["stranded_orders"]) == (1, 5)
        assert any("no recibidos por el banco" in p for p in progress["problems"])

        # February's cycle sends it: a batch is sent whatever cycle built it.
        await families(env, 2, date(2030, 2, 1), seed=11)
        february = await env.run_cycle("2030-02")
        assert february.progress is not None
        assert february.progress.settled == 2

        async def january() -> CycleProgress:
            return await env.bus.request(subjects.BANK_POLL, PollBank(period=PERIOD), CycleProgress)

        done = await eventually(january, until=lambda p: p.settled == 5)
        assert (done.unsent_batches, done.stranded_orders, done.problems) == (0, 0, [])
        books = await env.cuadratura(PERIOD)
        assert books["balanced"], books["problems"]
        await assert_paid_at_most_once(env)


@pytest.mark.parametrize(
    ("fault", "issue"),
    [
        ("refuse_files", "firma"),  # refused at upload (422)
        ("reject_whole_files", "fondos insuficientes"),  # a group RJCT listing no transfer
    ],
)
async def test_a_file_the_bank_refuses_whole_goes_back_to_pending_and_a_restart_sends_a_new_one(
    it_settings: Settings, tmp_path: Path, fault: str, issue: str
) -> None:
    async with cycle_env(it_settings, tmp_path) as env:
        await families(env, 5, date(2030, 1, 1), seed=12)
        set_faults(env.bank_url, delay_seconds=0, **{fault: True})

        # The cycle ends; it does not fail.
        refused = await env.run_cycle(PERIOD, history=f"payment-cycle-{fault.replace('_', '-')}")

        assert refused.progress is not None
        assert (refused.progress.refused_batches, refused.progress.in_flight) == (1, 0)
        assert refused.progress.rejected == 5
        assert any(issue in p for p in refused.progress.problems), refused.progress.problems
        books = await env.cuadratura(PERIOD)
        assert books["pending"] == 5 * AMOUNT_2030_MONTH_1
        assert not books["balanced"]  # the refusal waits for a person to see it
        # The file's fault is no family's: nobody moves closer to in-person payment.
        assert await env.sql("SELECT DISTINCT rejects_in_row FROM payees") == [(0,)]
        ((refused_file,),) = await env.sql("SELECT message_id FROM batches")

        # familias pagos ciclo … --reiniciar: a new file, never the refused one as it was.
        set_faults(env.bank_url, **{fault: False})
        again = await env.run_cycle(PERIOD)

        assert again.progress is not None
        assert (again.progress.settled, again.progress.in_flight) == (5, 0)
        uploads = (await bank_statistics(env))["uploads"]
        assert uploads[refused_file] == 1
        assert len(uploads) == 2
        (problem,) = (await env.http.get("/v1/payment-issues")).json()
        assert problem["kind"] == "archivo_rechazado"
        resolved = await env.http.post(
            f"/v1/payment-issues/{problem['id']}/resolution",
            json={"resolution": "revisado", "notes": "firma renovada con el banco"},
            headers={"X-Familias-Usuario": "encargada.pagos"},
        )
        assert resolved.status_code == 200, resolved.text
        books = await env.cuadratura(PERIOD)
        assert books["balanced"], books["problems"]
        assert books["paid"] == 5 * AMOUNT_2030_MONTH_1
        await assert_paid_at_most_once(env)


async def test_eight_files_reach_a_slow_bank_together(
    it_settings: Settings, tmp_path: Path
) -> None:
    """A bank that takes 3 s to answer each upload: the cycle's eight files are with it at
    once (about one delay in all), not one after another (eight delays)."""
    async with cycle_env(it_settings, tmp_path, bank_timeout_seconds=10.0) as env:
        await families(env, 56, date(2030, 1, 1), seed=13)  # eight batches of seven
        # It answers each file's content 5 s after receiving it: the receipts come first.
        set_faults(env.bank_url, delay_seconds=5, response_delay_seconds=3)

        view = await env.run_cycle(PERIOD)

        assert view.progress is not None
        assert (view.progress.settled, view.batches_built) == (56, 8)
        statistics = await bank_statistics(env)
        assert statistics["uploads_max_concurrent"] == 8
        assert sorted(statistics["uploads"].values()) == [1] * 8
        ((spread,),) = await env.sql(
            "SELECT extract(epoch FROM max(submitted_at) - min(created_at)) FROM batches"
        )
        # A measurement, not a check: 8 files sent 3.3 s after the first was built, here.
        print(f"8 archivos, banco que tarda 3 s en recibir cada uno: {float(spread):.1f} s")
