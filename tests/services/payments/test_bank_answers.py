"""The bank's answers as payments applies them when the bank misbehaves: a message that
cannot be applied stops no one, and money follows the bank's statement (ARCHITECTURE.md,
rules 6 and 7). Steps are asked over the bus as the PaymentCycle workflow asks them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx

from services.payments.bank import (
    BankMessage,
    DebitEntry,
    DebitNotification,
    Debtor,
    StatusReport,
    TransactionStatusLine,
)
from services.payments.bankfile import write_camt054, write_pain002
from services.payments.reconciliation import reconciliation_service
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
    AMOUNT_2030_MONTH_1,
    CycleEnv,
    assert_paid_at_most_once,
    cycle_env,
    events,
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
    submitted = await env.bus.request(
        subjects.BATCH_SUBMIT, SubmitBatch(batch_id=batch_id), BatchSubmitted
    )

    # Payments sends it by itself, right after: wait until the bank has it.
    async def state() -> str:
        ((found,),) = await env.sql("SELECT state FROM batches WHERE id = :b", b=batch_id)
        return str(found)

    await eventually(state, until=lambda s: s == "submitted")
    return submitted


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
        assert (await env.cuadratura(PERIOD))["paid"] == 7 * AMOUNT_2030_MONTH_1
        await assert_paid_at_most_once(env)


async def build_all(env: CycleEnv) -> BatchesBuilt:
    return await env.bus.request(
        subjects.CYCLE_BUILD, BuildBatches(period=PERIOD, max_batches=10), BatchesBuilt
    )


async def test_a_duplicate_rejection_of_a_file_sent_again_leaves_the_original_paid(
    it_settings: Settings, tmp_path: Path
) -> None:
    async with cycle_env(it_settings, tmp_path) as env:
        await families(env, 7, date(2030, 1, 1), seed=6)
        await env.bus.request(subjects.CYCLE_OPEN, OpenCycle(period=PERIOD), CycleOpened)
        # The bank takes a while to answer, and refuses a copy of a file it already has.
        set_faults(env.bank_url, delay_seconds=3, reject_resubmissions=True)
        submitted = await send_one_batch(env)
        # The same file again, as an upload retried after a lost answer sends it.
        ((file_name, content),) = await env.sql(
            "SELECT file_name, content FROM batches WHERE id = :b", b=submitted.batch_id
        )
        async with httpx.AsyncClient(base_url=env.bank_url) as bank:
            again = await bank.post(
                "/v1/archivos", content=content, headers={"X-Nombre-Archivo": file_name}
            )
        assert again.json()["duplicado"] is True
        messages = await published(env, 3)
        # The copy's rejection (AM05, no transfers listed) comes before the original's answers.
        assert [m["message_id"].rsplit("-", 1)[1] for m in messages] == ["D1", "E1", "N1"]

        progress = await poll(env)

        assert (progress.settled, progress.rejected, progress.in_flight) == (7, 0, 0)
        assert progress.problems == []
        assert await events(env, subjects.TRANSFER_REJECTED) == 0
        # Nothing goes back to be paid again.
        assert (await build_all(env)).batch_ids == []
        books = await env.cuadratura(PERIOD)
        assert books["balanced"], books["problems"]
        assert (books["paid"], books["pending"]) == (7 * AMOUNT_2030_MONTH_1, 0)
        await assert_paid_at_most_once(env)


OFFICER = {"X-Familias-Usuario": "encargada.pagos"}


async def open_issues(env: CycleEnv) -> list[dict[str, Any]]:
    response = await env.http.get("/v1/payment-issues", params={"status": "open"})
    assert response.status_code == 200, response.text
    issues: list[dict[str, Any]] = response.json()
    return issues


async def resolve(env: CycleEnv, issue_id: str, resolution: str) -> httpx.Response:
    return await env.http.post(
        f"/v1/payment-issues/{issue_id}/resolution",
        json={"resolution": resolution, "notes": "confirmado con el banco por teléfono"},
        headers=OFFICER,
    )


async def test_a_rejection_and_a_debit_of_one_transfer_pay_it_once_and_wait_for_a_person(
    it_settings: Settings, tmp_path: Path
) -> None:
    async with cycle_env(it_settings, tmp_path) as env:
        await families(env, 14, date(2030, 1, 1), seed=7)
        await env.bus.request(subjects.CYCLE_OPEN, OpenCycle(period=PERIOD), CycleOpened)
        # First file: every transfer rejected in the status report, then debited.
        set_faults(env.bank_url, delay_seconds=0, reject_and_debit_ratio=1.0)
        await send_one_batch(env)
        await published(env, 2)
        # Second file: every transfer debited, then rejected by a later status report.
        set_faults(env.bank_url, reject_and_debit_ratio=0.0, debit_then_reject_ratio=1.0)
        await send_one_batch(env)
        await published(env, 5)

        progress = await poll(env)

        # The statement decides: the 14 were debited, so the 14 are paid, once each.
        assert (progress.settled, progress.rejected, progress.in_flight) == (14, 0, 0)
        assert await events(env, subjects.TRANSFER_SETTLED) == 14
        # Each contradiction is a problem for a person: listed, in the progress, in the books.
        issues = await open_issues(env)
        assert (
            sorted(i["kind"] for i in issues)
            == ["cargo_tras_rechazo"] * 7 + ["rechazo_tras_cargo"] * 7
        )
        assert len(progress.problems) == 14
        books = await env.cuadratura(PERIOD)
        assert not books["balanced"]
        assert any("sin resolver" in p for p in books["problems"])
        assert books["paid"] == 14 * AMOUNT_2030_MONTH_1
        # While they wait, nothing is sent again.
        assert (await build_all(env)).batch_ids == []

        # The bank confirms it gave one debit back: that order is owed again, the books say so.
        returned = next(i for i in issues if i["kind"] == "cargo_tras_rechazo")
        answer = await resolve(env, returned["id"], "no_pagada")
        assert answer.status_code == 200, answer.text
        assert answer.json()["resolution"] == "no_pagada"
        assert answer.json()["resolved_by"] == "encargada.pagos"
        assert (await resolve(env, returned["id"], "pagada")).status_code == 409
        for issue in issues:
            if issue["id"] != returned["id"]:
                assert (await resolve(env, issue["id"], "pagada")).status_code == 200
        assert await open_issues(env) == []
        books = await env.cuadratura(PERIOD)
        assert books["balanced"], books["problems"]
        assert (books["paid"], books["pending"]) == (
            13 * AMOUNT_2030_MONTH_1,
            AMOUNT_2030_MONTH_1,
        )
        rebuilt = await build_all(env)
        assert (len(rebuilt.batch_ids), rebuilt.orders) == (1, 1)
        audited = await env.sql(
            "SELECT count(*) FROM audit_log WHERE action = 'problema_de_pago_resuelto'"
        )
        assert audited[0][0] == 14
        await assert_paid_at_most_once(env)


async def apply(env: CycleEnv, cursor: int, kind: str, content: bytes) -> None:
    """One bank message applied as a poll applies it (its own transaction)."""
    message = BankMessage(cursor, f"MSG-{cursor}", kind, "archivo.xml", content)  # type: ignore[arg-type]
    async with env.runtime.sessions() as session, session.begin():
        await reconciliation_service.apply_message(session, message, max_rejects=2)


def rejection(batch_message_id: str, end_to_end_id: str, cursor: int) -> bytes:
    report = StatusReport(
        message_id=f"MSG-{cursor}",
        original_message_id=batch_message_id,
        group_status="RJCT",
        original_count=1,
        original_control_sum=AMOUNT_2030_MONTH_1,
        transactions=(TransactionStatusLine(end_to_end_id, "RJCT", "AC04", "Cuenta cerrada"),),
    )
    return write_pain002(report)


def debit(end_to_end_id: str, reference: str, cursor: int) -> bytes:
    notification = DebitNotification(
        message_id=f"MSG-{cursor}",
        entries=(DebitEntry(end_to_end_id, AMOUNT_2030_MONTH_1, date(2030, 1, 2), reference),),
    )
    account = Debtor("Programa Familias", "61979440-0", "012", "9000000001")
    return write_camt054(notification, account=account)


async def test_a_late_debit_of_a_transfer_sent_again_is_a_second_debit_never_a_second_payment(
    it_settings: Settings, tmp_path: Path
) -> None:
    async with cycle_env(it_settings, tmp_path) as env:
        await families(env, 1, date(2030, 1, 1), seed=8)
        await env.bus.request(subjects.CYCLE_OPEN, OpenCycle(period=PERIOD), CycleOpened)
        await build_all(env)
        ((first, first_file),) = await env.sql(
            "SELECT l.end_to_end_id, b.message_id FROM batch_lines l JOIN batches b "
            "ON b.id = l.batch_id"
        )
        # Rejected: the order goes back, and the next build sends it again.
        await apply(env, 1, "pain.002", rejection(first_file, first, 1))
        assert len((await build_all(env)).batch_ids) == 1
        ((second,),) = await env.sql("SELECT end_to_end_id FROM batch_lines WHERE status = 'sent'")
        # Then the bank's statement shows the first transfer debited after all: it paid.
        await apply(env, 2, "camt.054", debit(first, "MOV-1", 2))
        # And the transfer sent again is debited too: money left twice, paid once.
        await apply(env, 3, "camt.054", debit(second, "MOV-2", 3))

        lines = await env.sql("SELECT end_to_end_id, status FROM batch_lines ORDER BY created_at")
        assert lines == [(first, "settled"), (second, "disputed")]
        issues = await open_issues(env)
        assert sorted(i["kind"] for i in issues) == ["cargo_tras_rechazo", "segundo_cargo"]
        books = await env.cuadratura(PERIOD)
        assert books["paid"] == AMOUNT_2030_MONTH_1
        assert not books["balanced"]
        assert await events(env, subjects.TRANSFER_SETTLED) == 1
        # The bank gives the second debit back; the first one stands.
        by_kind = {i["kind"]: i["id"] for i in issues}
        assert (await resolve(env, by_kind["segundo_cargo"], "pagada")).status_code == 422
        assert (await resolve(env, by_kind["segundo_cargo"], "no_pagada")).status_code == 200
        assert (await resolve(env, by_kind["cargo_tras_rechazo"], "pagada")).status_code == 200
        books = await env.cuadratura(PERIOD)
        assert books["balanced"], books["problems"]
        assert (await build_all(env)).batch_ids == []
        await assert_paid_at_most_once(env)
