"""The bank simulator as a real process, driven through `HttpBankAdapter`: files are
answered once with pain.002 and camt.054, and every injected fault behaves as promised."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from deploy.local.ports import free_ports
from services.payments.bank import (
    BankMessage,
    Debtor,
    Payee,
    PaymentFile,
    StatusReport,
    Transfer,
)
from services.payments.bank.faults import BankFaults
from services.payments.bank.http import (
    BankRefusedFile,
    BankTimeout,
    BankUnavailable,
    HttpBankAdapter,
)
from services.payments.bank.simulator import CRASH_EXIT_CODE
from services.payments.bankfile import parse_camt054, parse_pain002, write_pain001

ROOT = Path(__file__).resolve().parents[3]
SANTIAGO = timezone(timedelta(hours=-3))


@dataclass
class RunningBank:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]


def start_bank(data_dir: Path, port: int, *flags: str) -> RunningBank:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FAMILIAS_")} | {
        "FAMILIAS_DATA_DIR": str(data_dir),
        "FAMILIAS_BANK_PORT": str(port),
        "FAMILIAS_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "services.payments.bank.simulator", "--retraso", "0", *flags],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data_dir / "simulador.log").open("ab"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"el simulador terminó al partir ({process.returncode})")
        try:
            if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                return RunningBank(url, data_dir, process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("el simulador no respondió a tiempo")


def stop_bank(bank: RunningBank) -> None:
    if bank.process.poll() is None:
        bank.process.terminate()
        bank.process.wait(timeout=10)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBank]:
    running = start_bank(tmp_path_factory.mktemp("banco"), free_ports(1)[0])
    yield running
    stop_bank(running)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
async def adapter(bank: RunningBank, http: httpx.AsyncClient) -> HttpBankAdapter:
    """Each test starts from a bank that answers at once and injects no fault."""
    response = await http.post(
        f"{bank.url}/v1/control",
        json=BankFaults(delay_seconds=0, reject_account_suffixes=["0000"]).model_dump(),
    )
    response.raise_for_status()
    return HttpBankAdapter(bank.url, http)


async def set_faults(bank: RunningBank, http: httpx.AsyncClient, **faults: Any) -> None:
    (await http.post(f"{bank.url}/v1/control", json=faults)).raise_for_status()


def payment_file(*accounts: str, ruts: tuple[str, ...] = ()) -> PaymentFile:
    accounts = accounts or ("12345671", "12345672")
    batch = uuid4().hex[:12].upper()
    return PaymentFile(
        message_id=f"FAM-{batch}",
        created_at=datetime(2025, 3, 20, 9, 30, tzinfo=SANTIAGO),
        execution_date=date(2025, 3, 24),
        debtor=Debtor("Programa Familias", "61979440-0", "012", "9000000001"),
        transfers=tuple(
            Transfer(
                end_to_end_id=f"OP-{batch}-{n}",
                amount=22_674 + n,
                payee=Payee(
                    rut=ruts[n] if n < len(ruts) else "12345678-5",
                    name="Begoña Ñancupil Muñoz",
                    bank_code="012",
                    account_kind="cuenta_rut",
                    account_number=account,
                ),
                remittance="Bono de Protección 2025-03",
            )
            for n, account in enumerate(accounts)
        ),
    )


async def answers_to(
    adapter: HttpBankAdapter,
    file_name: str,
    done: Callable[[list[BankMessage]], bool],
    *,
    timeout: float = 10,
) -> list[BankMessage]:
    deadline = time.monotonic() + timeout
    while True:
        messages = [m for m in await adapter.messages(0) if m.file_name == file_name]
        if done(messages) or time.monotonic() > deadline:
            return messages
        await asyncio.sleep(0.05)


def reports(messages: list[BankMessage]) -> list[StatusReport]:
    return [parse_pain002(m.content) for m in messages if m.kind == "pain.002"]


def has_kinds(*kinds: str) -> Callable[[list[BankMessage]], bool]:
    return lambda messages: sorted(m.kind for m in messages) == sorted(kinds)


async def a_later_file_is_answered(adapter: HttpBankAdapter) -> None:
    """Send one more file and wait for its answer. The simulator answers files in the order
    it receives them (one stage each here), so by then any answer it still owed to a file
    sent before has been published: what is listed after this is all there will be."""
    name = f"testigo-{uuid4().hex[:8]}.xml"
    await adapter.submit(name, write_pain001(payment_file()))
    await answers_to(adapter, name, has_kinds("pain.002", "camt.054"))


async def test_a_file_is_answered_with_its_statuses_and_one_debit_per_settled_transfer(
    adapter: HttpBankAdapter, bank: RunningBank
) -> None:
    file = payment_file("12345671", "55550000", "12345673")
    receipt = await adapter.submit("nómina marzo.xml", write_pain001(file))

    messages = await answers_to(adapter, "nómina marzo.xml", has_kinds("pain.002", "camt.054"))
    assert [m.cursor for m in messages] == sorted(m.cursor for m in messages)
    (report,) = reports(messages)
    assert report.original_message_id == file.message_id
    assert report.group_status == "PART"
    # The bank echoes the file's totals: 22,674 + 22,675 + 22,676.
    assert (report.original_count, report.original_control_sum) == (3, 68_025)
    statuses = {line.end_to_end_id: (line.status, line.reason_code) for line in report.transactions}
    assert statuses == {
        file.transfers[0].end_to_end_id: ("ACSC", None),
        file.transfers[1].end_to_end_id: ("RJCT", "AC04"),
        file.transfers[2].end_to_end_id: ("ACSC", None),
    }
    (debits,) = [parse_camt054(m.content) for m in messages if m.kind == "camt.054"]
    assert {(e.end_to_end_id, e.amount) for e in debits.entries} == {
        (file.transfers[0].end_to_end_id, file.transfers[0].amount),
        (file.transfers[2].end_to_end_id, file.transfers[2].amount),
    }
    assert len({e.bank_reference for e in debits.entries}) == 2
    assert (bank.data_dir / "banco" / "entrada" / f"{receipt}.xml").exists()
    assert len(list((bank.data_dir / "banco" / "salida").glob(f"*_{receipt}-*.xml"))) >= 2


async def test_the_same_file_again_gets_the_same_receipt_and_is_answered_once(
    adapter: HttpBankAdapter,
) -> None:
    content = write_pain001(payment_file())
    first = await adapter.submit("reenvio.xml", content)
    again = await adapter.submit("reenvio.xml", content)
    assert first == again
    await answers_to(adapter, "reenvio.xml", has_kinds("pain.002", "camt.054"))
    await a_later_file_is_answered(adapter)
    messages = await answers_to(adapter, "reenvio.xml", lambda _: True)
    assert sorted(m.kind for m in messages) == ["camt.054", "pain.002"]


async def test_duplicated_messages_arrive_twice_with_the_same_id(
    adapter: HttpBankAdapter, bank: RunningBank, http: httpx.AsyncClient
) -> None:
    await set_faults(bank, http, duplicate_messages=True)
    await adapter.submit("duplicados.xml", write_pain001(payment_file()))
    messages = await answers_to(
        adapter, "duplicados.xml", has_kinds("pain.002", "pain.002", "camt.054", "camt.054")
    )
    assert len({m.cursor for m in messages}) == 4
    assert len({m.message_id for m in messages}) == 2
    first, second = [m for m in messages if m.kind == "pain.002"]
    assert first.content == second.content


async def test_listed_ruts_and_a_seeded_ratio_are_rejected_with_their_reasons(
    adapter: HttpBankAdapter, bank: RunningBank, http: httpx.AsyncClient
) -> None:
    await set_faults(bank, http, reject_ruts=["11.111.111-1"])
    file = payment_file("12345671", "12345672", ruts=("11111111-1",))
    await adapter.submit("rut.xml", write_pain001(file))
    (report,) = reports(await answers_to(adapter, "rut.xml", has_kinds("pain.002", "camt.054")))
    assert [(t.status, t.reason_code) for t in report.transactions] == [
        ("RJCT", "BE01"),
        ("ACSC", None),
    ]

    await set_faults(bank, http, reject_ruts=[], reject_ratio=1.0, seed=7)
    await adapter.submit("azar.xml", write_pain001(payment_file()))
    messages = await answers_to(adapter, "azar.xml", has_kinds("pain.002"))
    (report,) = reports(messages)
    assert report.group_status == "RJCT"
    assert {(t.status, t.reason_code) for t in report.transactions} == {("RJCT", "AC06")}


async def test_a_file_whose_totals_do_not_match_is_rejected_whole(
    adapter: HttpBankAdapter,
) -> None:
    file = payment_file()
    content = write_pain001(file).replace(
        f"<CtrlSum>{file.control_sum}</CtrlSum>".encode(), b"<CtrlSum>1</CtrlSum>", 1
    )
    await adapter.submit("totales.xml", content)
    (report,) = reports(await answers_to(adapter, "totales.xml", has_kinds("pain.002")))
    assert report.group_status == "RJCT"
    assert report.original_control_sum == 1
    assert {(t.status, t.reason_code) for t in report.transactions} == {("RJCT", "AM10")}


async def test_a_partial_batch_is_answered_in_two_reports_covering_each_transfer_once(
    adapter: HttpBankAdapter, bank: RunningBank, http: httpx.AsyncClient
) -> None:
    await set_faults(bank, http, partial=True, delay_seconds=0.2)
    file = payment_file("12345671", "12345672", "12345673")
    await adapter.submit("parcial.xml", write_pain001(file))
    first_only = await answers_to(adapter, "parcial.xml", lambda m: len(m) >= 1, timeout=5)
    assert reports(first_only)[0].group_status == "PART"
    messages = await answers_to(
        adapter, "parcial.xml", has_kinds("pain.002", "camt.054", "pain.002", "camt.054")
    )
    first, second = reports(messages)
    assert first.message_id != second.message_id
    answered = [t.end_to_end_id for r in (first, second) for t in r.transactions]
    assert sorted(answered) == sorted(t.end_to_end_id for t in file.transfers)
    assert len(first.transactions) == 2


async def test_a_submission_that_times_out_was_kept_and_a_retry_is_safe(
    adapter: HttpBankAdapter, bank: RunningBank, http: httpx.AsyncClient
) -> None:
    await set_faults(bank, http, response_delay_seconds=2)
    content = write_pain001(payment_file())
    async with httpx.AsyncClient(timeout=0.5) as impatient:
        with pytest.raises(BankTimeout):
            await HttpBankAdapter(bank.url, impatient).submit("demora.xml", content)
    receipt = await adapter.submit("demora.xml", content)
    assert receipt.startswith("REC-")
    await answers_to(adapter, "demora.xml", has_kinds("pain.002", "camt.054"))
    await set_faults(bank, http, response_delay_seconds=0)
    await a_later_file_is_answered(adapter)
    assert len(await answers_to(adapter, "demora.xml", lambda _: True)) == 2


async def test_an_unreadable_file_is_refused_at_once(
    adapter: HttpBankAdapter, bank: RunningBank, http: httpx.AsyncClient
) -> None:
    with pytest.raises(BankRefusedFile, match=r"pain\.001"):
        await adapter.submit("roto.xml", b"<Document><sin-cerrar>")
    response = await http.post(f"{bank.url}/v1/control", json={"reject_ratio": 2})
    assert response.status_code == 422
    assert "reject_ratio" in response.json()["detail"]


async def test_a_crash_after_accepting_is_answered_exactly_once_after_restart(
    tmp_path: Path,
) -> None:
    port = free_ports(1)[0]
    crashing = start_bank(tmp_path, port, "--caer-tras-aceptar")
    file = payment_file("12345671", "99990000")
    content = write_pain001(file)
    async with httpx.AsyncClient(timeout=5) as http:
        adapter = HttpBankAdapter(crashing.url, http)
        with pytest.raises(BankUnavailable):
            await adapter.submit("caida.xml", content)
        assert crashing.process.wait(timeout=10) == CRASH_EXIT_CODE

        restarted = start_bank(tmp_path, port)
        try:
            messages = await answers_to(adapter, "caida.xml", has_kinds("pain.002", "camt.054"))
            (report,) = reports(messages)
            assert report.original_message_id == file.message_id
            assert [t.status for t in report.transactions] == ["ACSC", "RJCT"]
            receipt = await adapter.submit("caida.xml", content)
            assert (tmp_path / "banco" / "entrada" / f"{receipt}.xml").exists()
            await a_later_file_is_answered(adapter)
            stop_bank(restarted)

            # Messages outlive a restart, under the same cursors.
            restarted = start_bank(tmp_path, port)
            again = await answers_to(adapter, "caida.xml", lambda _: True)
            assert [(m.cursor, m.message_id) for m in again] == [
                (m.cursor, m.message_id) for m in messages
            ]
        finally:
            stop_bank(restarted)


def test_fault_defaults_reject_only_closed_accounts() -> None:
    faults = BankFaults()
    assert faults.reject_account_suffixes == ["0000"]
    assert not faults.duplicate_messages
    assert not faults.partial
    assert not faults.crash_after_accept


async def test_a_listed_message_that_is_not_ours_is_returned_unreadable_not_refused() -> None:
    """One odd message in the bank's list (a kind we do not read, content that does not
    decode) must not make the whole list unreadable: it comes back marked, with its cursor,
    for reconciliation to record as a problem and pass over."""
    listing = [
        {"cursor": 7, "message_id": "EST-1", "kind": "camt.053", "file_name": "extracto.xml",
         "content_b64": "PERvY3VtZW50Lz4="},
        {"cursor": 8, "message_id": "REC-1-E1", "kind": "pain.002", "file_name": "a.xml",
         "content_b64": "no es base64 ###"},
        {"cursor": 9, "message_id": "REC-1-N1", "kind": "camt.054", "file_name": "a.xml",
         "content_b64": "PERvY3VtZW50Lz4="},
    ]  # fmt: skip
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=listing))
    async with httpx.AsyncClient(transport=transport) as client:
        messages = await HttpBankAdapter("http://banco.invalid", client).messages(0)
    assert [(m.cursor, m.message_id) for m in messages] == [
        (7, "EST-1"),
        (8, "REC-1-E1"),
        (9, "REC-1-N1"),
    ]
    assert messages[0].unreadable is not None
    assert "camt.053" in messages[0].unreadable
    assert messages[1].unreadable is not None
    assert messages[2].unreadable is None
    assert messages[2].content == b"<Document/>"
