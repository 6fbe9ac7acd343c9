"""What the simulated bank decides about a file, and the faults it can be told to inject.

Everything here is a pure function of the received file and the fault settings, so a file
answered again after a crash gets the same verdicts, ids and references as the first time.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.payments.bank import (
    DebitEntry,
    DebitNotification,
    GroupStatus,
    MessageKind,
    StatusReport,
    TransactionStatusLine,
    Transfer,
)
from services.payments.bankfile import (
    ReceivedPaymentFile,
    write_camt054,
    write_pain002,
)
from shared.rut import is_valid_rut, normalize_rut

# ISO 20022 external status reason codes (ExternalStatusReason1Code) the simulator uses.
CLOSED_ACCOUNT = ("AC04", "Cuenta cerrada")
RUT_MISMATCH = ("BE01", "El RUT no corresponde al titular de la cuenta")
RANDOM_REJECT = ("AC06", "Cuenta bloqueada")
WRONG_COUNT = ("AM18", "NbOfTxs no coincide con el número de transferencias del archivo")
WRONG_CONTROL_SUM = ("AM10", "CtrlSum no coincide con la suma de los montos del archivo")
DUPLICATE_FILE = ("AM05", "Archivo duplicado: ya se recibió un archivo con este MsgId")
NO_FUNDS = ("AM04", "Fondos insuficientes en la cuenta de cargo")
BAD_SIGNATURE = "FF01: la firma del archivo no se pudo verificar; no se recibió"
# What a misconfigured gateway sends: a declaration of an encoding no parser knows.
GARBLED = b'<?xml version="1.0" encoding="ISO-8859-99"?><Document>\xe1</Document>'


class BankFaults(BaseModel):
    """How the simulated bank misbehaves. Set at start (CLI flags) or through
    `POST /v1/control`; never persisted, so a restart goes back to the start values."""

    model_config = ConfigDict(extra="forbid")

    # Seconds from receiving a file to its first answer (and between partial answers).
    delay_seconds: float = Field(1.0, ge=0, le=3600)
    # Accounts whose number ends with one of these are closed: RJCT AC04.
    reject_account_suffixes: list[str] = Field(default_factory=lambda: ["0000"])
    # Payees whose RUT is listed do not own the account given: RJCT BE01.
    reject_ruts: list[str] = Field(default_factory=list)
    # Share of the remaining transfers rejected (AC06), chosen by a hash of seed and id.
    reject_ratio: float = Field(0.0, ge=0, le=1)
    seed: int = 0
    # Every message is published twice, under two cursors, with the same message id.
    duplicate_messages: bool = False
    # The file is accepted and stored, but the answer to the POST waits this long.
    response_delay_seconds: float = Field(0.0, ge=0, le=600)
    # The first pain.002 (group PART) answers half the transfers; a second one the rest.
    partial: bool = False
    # The process exits right after storing a new file, before answering the POST.
    crash_after_accept: bool = False
    # Before a file's first answer the bank sends a message it garbled: its XML declares an
    # encoding nobody knows, so it cannot be read.
    garbled_messages: bool = False
    # Every debit of a camt.054 carries the same bank reference (AcctSvcrRef), although a
    # movement can pay only one transfer: the notification cannot be applied.
    repeated_references: bool = False
    # A file received again (the same MsgId) is answered with a group RJCT AM05, "archivo
    # duplicado": a rejection of the copy, while the original keeps its own answers.
    reject_resubmissions: bool = False
    # A share of transfers (by seed and id) is rejected in the status report (RJCT AC06)
    # and debited all the same in the camt.054 that follows it.
    reject_and_debit_ratio: float = Field(0.0, ge=0, le=1)
    # A share of settled transfers (by seed and id) is debited, then rejected (RJCT AC04)
    # by a later status report.
    debit_then_reject_ratio: float = Field(0.0, ge=0, le=1)
    # The gateway refuses every new file when it is uploaded (422, its signature does not
    # verify): nothing is kept, nothing will be answered.
    refuse_files: bool = False
    # Every new file is accepted, then rejected whole by a status report that lists no
    # transfer (group RJCT AM04: no funds in the paying account).
    reject_whole_files: bool = False


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: str
    kind: MessageKind
    content: bytes


def receipt_for(message_id: str) -> str:
    """The same MsgId always gets the same receipt: a resubmission is recognised."""
    digest = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:16].upper()
    return f"REC-{digest}"


def verdict(transfer: Transfer, faults: BankFaults) -> TransactionStatusLine:
    """Settled (ACSC) or rejected with the first reason that applies."""
    payee = transfer.payee
    if any(payee.account_number.endswith(s) for s in faults.reject_account_suffixes if s):
        return _rejected(transfer, CLOSED_ACCOUNT)
    if _same_rut_listed(payee.rut, faults.reject_ruts):
        return _rejected(transfer, RUT_MISMATCH)
    if faults.reject_ratio and _draw(faults.seed, transfer.end_to_end_id) < faults.reject_ratio:
        return _rejected(transfer, RANDOM_REJECT)
    return TransactionStatusLine(end_to_end_id=transfer.end_to_end_id, status="ACSC")


def file_level_reason(received: ReceivedPaymentFile) -> tuple[str, str] | None:
    """Why the whole file is refused, if its declared totals do not match its content."""
    if received.declared_count != received.file.count:
        return WRONG_COUNT
    if received.declared_control_sum != received.file.control_sum:
        return WRONG_CONTROL_SUM
    return None


def plan_answers(
    received: ReceivedPaymentFile, faults: BankFaults, *, receipt: str, now: datetime
) -> list[list[OutgoingMessage]]:
    """The answers to one file, in stages published one after another.

    A file whose totals do not match is refused whole: group RJCT with the reason, and
    every transaction listed RJCT with the same reason so reconciliation can work per
    transfer. Otherwise each stage is a pain.002 and, when something settled, a camt.054.
    """
    file = received.file
    refusal = file_level_reason(received)
    if refusal is not None:
        lines = [_rejected(t, refusal) for t in file.transfers]
        return [[_status_report(received, receipt, "E1", "RJCT", lines, now)]]
    if faults.reject_whole_files:
        code, text = NO_FUNDS
        report = StatusReport(
            message_id=f"{receipt}-E1",
            original_message_id=file.message_id,
            group_status="RJCT",
            original_count=received.declared_count,
            original_control_sum=received.declared_control_sum,
            transactions=(),
            group_reason_code=code,
            group_reason_text=text,
        )
        content = write_pain002(report, created_at=now)
        return [[OutgoingMessage(report.message_id, "pain.002", content)]]
    lines = [verdict(t, faults) for t in file.transfers]
    if faults.partial and len(lines) > 1:
        half = math.ceil(len(lines) / 2)
        chunks = [lines[:half], lines[half:]]
    else:
        chunks = [lines]
    stages = []
    for number, chunk in enumerate(chunks, start=1):
        first_of_partial = len(chunks) > 1 and number == 1
        # What the status report says may contradict what the statement then shows.
        reported = [_reported(line, faults) for line in chunk]
        status = "PART" if first_of_partial else _group_status(reported)
        stage = [_status_report(received, receipt, f"E{number}", status, reported, now)]
        settled = [line for line in chunk if line.status == "ACSC"]
        if settled:
            stage.append(
                _debit_notification(
                    received,
                    receipt,
                    number,
                    settled,
                    now,
                    same_reference=faults.repeated_references,
                )
            )
        late = [_rejected_late(line) for line in settled if _rejected_after_debit(line, faults)]
        if late:
            late_status = _group_status(late)
            stage.append(_status_report(received, receipt, f"R{number}", late_status, late, now))
        stages.append(stage)
    if faults.garbled_messages:
        stages[0].insert(0, OutgoingMessage(f"{receipt}-G1", "pain.002", GARBLED))
    return stages


def duplicate_answer(
    received: ReceivedPaymentFile, *, receipt: str, copy: int, now: datetime
) -> OutgoingMessage:
    """The group rejection of a file received again: about the copy, not the original."""
    code, text = DUPLICATE_FILE
    report = StatusReport(
        message_id=f"{receipt}-D{copy}",
        original_message_id=received.file.message_id,
        group_status="RJCT",
        original_count=received.declared_count,
        original_control_sum=received.declared_control_sum,
        transactions=(),
        group_reason_code=code,
        group_reason_text=text,
    )
    return OutgoingMessage(report.message_id, "pain.002", write_pain002(report, created_at=now))


def _reported(line: TransactionStatusLine, faults: BankFaults) -> TransactionStatusLine:
    """A settled transfer the status report rejects all the same (it is still debited)."""
    if line.status != "ACSC" or not faults.reject_and_debit_ratio:
        return line
    if _draw(faults.seed, f"rechazo-y-cargo|{line.end_to_end_id}") >= faults.reject_and_debit_ratio:
        return line
    code, text = RANDOM_REJECT
    return TransactionStatusLine(line.end_to_end_id, "RJCT", code, text)


def _rejected_after_debit(line: TransactionStatusLine, faults: BankFaults) -> bool:
    if not faults.debit_then_reject_ratio:
        return False
    draw = _draw(faults.seed, f"cargo-y-rechazo|{line.end_to_end_id}")
    return draw < faults.debit_then_reject_ratio


def _rejected_late(line: TransactionStatusLine) -> TransactionStatusLine:
    code, text = CLOSED_ACCOUNT
    return TransactionStatusLine(line.end_to_end_id, "RJCT", code, text)


def _group_status(lines: list[TransactionStatusLine]) -> GroupStatus:
    rejected = sum(1 for line in lines if line.status == "RJCT")
    if rejected == len(lines):
        return "RJCT"
    return "PART" if rejected else "ACCP"


def _status_report(
    received: ReceivedPaymentFile,
    receipt: str,
    suffix: str,
    status: GroupStatus,
    lines: list[TransactionStatusLine],
    now: datetime,
) -> OutgoingMessage:
    report = StatusReport(
        message_id=f"{receipt}-{suffix}",
        original_message_id=received.file.message_id,
        group_status=status,
        original_count=received.declared_count,
        original_control_sum=received.declared_control_sum,
        transactions=tuple(lines),
    )
    return OutgoingMessage(report.message_id, "pain.002", write_pain002(report, created_at=now))


def _debit_notification(
    received: ReceivedPaymentFile,
    receipt: str,
    stage: int,
    settled: list[TransactionStatusLine],
    now: datetime,
    *,
    same_reference: bool = False,
) -> OutgoingMessage:
    amounts = {t.end_to_end_id: t.amount for t in received.file.transfers}
    notification = DebitNotification(
        message_id=f"{receipt}-N{stage}",
        entries=tuple(
            DebitEntry(
                end_to_end_id=line.end_to_end_id,
                amount=amounts[line.end_to_end_id],
                booking_date=received.file.execution_date,
                bank_reference=bank_reference(
                    receipt, f"N{stage}" if same_reference else line.end_to_end_id
                ),
            )
            for line in settled
        ),
    )
    content = write_camt054(notification, account=received.file.debtor, created_at=now)
    return OutgoingMessage(notification.message_id, "camt.054", content)


def bank_reference(receipt: str, end_to_end_id: str) -> str:
    """AcctSvcrRef: one per movement, stable if the same file is answered again."""
    digest = hashlib.sha256(f"{receipt}|{end_to_end_id}".encode()).hexdigest()[:20].upper()
    return f"MOV-{digest}"


def _rejected(transfer: Transfer, reason: tuple[str, str]) -> TransactionStatusLine:
    code, text = reason
    return TransactionStatusLine(transfer.end_to_end_id, "RJCT", code, text)


def _same_rut_listed(rut: str, listed: list[str]) -> bool:
    if not listed or not is_valid_rut(rut):
        return False
    wanted = normalize_rut(rut)
    return any(is_valid_rut(other) and normalize_rut(other) == wanted for other in listed)


def _draw(seed: int, end_to_end_id: str) -> float:
    """A number in [0, 1) fixed by seed and transfer: the same file draws the same."""
    digest = hashlib.sha256(f"{seed}|{end_to_end_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
