"""The bank's answers as payments applies them when the bank misbehaves: a message that
cannot be applied stops no one, and money follows the bank's statement (ARCHITECTURE.md,
rules 6 and 7). Steps are asked over the bus as the PaymentCycle workflow asks them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx

from shared.contracts import subjects
from shared.contracts.payments import (
    BatchesBuilt,
    BatchSubmitted,
    BuildBatches,
    CycleOpened,
    CycleProgress,
    OpenCycle,
    PollBank,
    SubmitBatch,
)
from shared.settings import Settings
from tests.services.payments.test_payment_cycle import (
    CycleEnv,
    assert_paid_at_most_once,
    cycle_env,
    families,
)
from tests.support.bank import set_faults
from tests.support.waiting import eventually

PERIOD = "2030-01"


async def bank_messages(env: CycleEnv) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=env.bank_url) as bank:
        listed: list[dict[str, Any]] = (await bank.get("/v1/mensajes")).json()
        return listed


async def published(env: CycleEnv, count: int) -> list[dict[str, Any]]:
    """Wait until the bank has published `count` messages in all."""
    return await eventually(lambda: bank_messages(env), until=lambda m: len(m) >= count)


async def send_one_batch(env: CycleEnv) -> BatchSubmitted:
    built = await env.bus.request(
        subjects.CYCLE_BUILD, BuildBatches(period=PERIOD, max_batches=1), BatchesBuilt
    )
    (batch_id,) = built.batch_ids
    return await env.bus.request(
        subjects.BATCH_SUBMIT, SubmitBatch(batch_id=batch_id), BatchSubmitted
    )


async def poll(env: CycleEnv) -> CycleProgress:
    return await env.bus.request(subjects.BANK_POLL, PollBank(period=PERIOD), CycleProgress)


async def test_a_message_that_cannot_be_applied_is_a_problem_and_the_rest_is_applied(
    it_settings: Settings, tmp_path: Path
) -> None:
    async with cycle_env(it_settings, tmp_path) as env:
        await families(env, 14, date(2030, 1, 1), seed=5)  # two batches of 7
        await env.bus.request(subjects.CYCLE_OPEN, OpenCycle(period=PERIOD), CycleOpened)
        # The first file's answers: a garbled message (an encoding nobody knows), its
        # pain.002, and a camt.054 whose seven debits share one bank reference.
        set_faults(env.bank_url, delay_seconds=0, garbled_messages=True, repeated_references=True)
        await send_one_batch(env)
        await published(env, 3)
        # The second file is answered as it should be.
        set_faults(env.bank_url, garbled_messages=False, repeated_references=False)
        await send_one_batch(env)
        messages = await published(env, 5)

        progress = await poll(env)

        # Each message that could not be applied is a problem, with its reason.
        assert len(progress.problems) == 2, progress.problems
        unreadable, unapplied = sorted(progress.problems, key=lambda p: "camt.054" in p)
        assert "ISO-8859-99" in unreadable
        assert "camt.054" in unapplied
        assert "referencia" in unapplied
        # The rest was applied: the first file's statuses, the second file's debits.
        assert (progress.accepted, progress.settled, progress.in_flight) == (7, 7, 7)
        cursor = await env.sql("SELECT last_cursor FROM bank_cursor")
        assert cursor[0][0] == max(m["cursor"] for m in messages)
        recorded = await env.sql("SELECT count(*) FROM bank_messages")
        assert recorded[0][0] == 5
        # Asked again, nothing changes: the cursor moved past them.
        assert await poll(env) == progress
        assert (await env.cuadratura(PERIOD))["paid"] == 7 * 24_523
        await assert_paid_at_most_once(env)
