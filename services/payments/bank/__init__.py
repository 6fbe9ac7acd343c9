"""The bank, as payments sees it: the files exchanged and the adapter that carries them.

Payments writes one ISO 20022 pain.001 credit-transfer file per batch and hands it to a
`BankAdapter`. The bank answers asynchronously with pain.002 status reports (accepted /
rejected per transaction) and camt.054 debit notifications (money actually moved). Every
message the bank sends has its own id; reconciliation applies each one once, whatever the
bank repeats. The simulator (`services.payments.bank.simulator`) implements the same HTTP
protocol a real bank gateway would be wrapped in, and is what the local stack runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

AccountKind = Literal["cuenta_rut", "cuenta_vista", "cuenta_corriente", "cuenta_ahorro"]
MessageKind = Literal["pain.002", "camt.054"]
# pain.002 transaction status: ACSC settled, ACCP accepted (not yet settled), RJCT rejected.
TransactionStatus = Literal["ACSC", "ACCP", "RJCT", "PDNG"]
# pain.002 group status of the whole file: ACCP accepted, PART partly, RJCT rejected.
GroupStatus = Literal["ACCP", "ACTC", "PART", "RJCT", "PDNG"]


@dataclass(frozen=True)
class Payee:
    rut: str  # normalised, "12345678-5"
    name: str
    bank_code: str  # SBIF code, "012" = BancoEstado
    account_kind: AccountKind
    account_number: str


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str  # ≤ 35 chars; the payment order's reference, unique forever
    amount: int  # CLP, > 0
    payee: Payee
    remittance: str  # shown on the payee's statement, e.g. "Bono de Protección 2025-03"


@dataclass(frozen=True)
class Debtor:
    name: str
    rut: str
    bank_code: str
    account_number: str


@dataclass(frozen=True)
class PaymentFile:
    """One pain.001 file: one batch of transfers, with its control totals."""

    message_id: str  # ≤ 35 chars, unique per file (GrpHdr/MsgId)
    created_at: datetime  # timezone-aware
    execution_date: date
    debtor: Debtor
    transfers: tuple[Transfer, ...]

    @property
    def count(self) -> int:
        return len(self.transfers)

    @property
    def control_sum(self) -> int:
        return sum(transfer.amount for transfer in self.transfers)


@dataclass(frozen=True)
class TransactionStatusLine:
    end_to_end_id: str
    status: TransactionStatus
    reason_code: str | None = None  # ISO external code: AC04 closed account, BE01 RUT mismatch…
    reason_text: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """A pain.002: the bank's verdict on (part of) a file."""

    message_id: str  # the report's own id: applied once
    original_message_id: str
    group_status: GroupStatus | None
    original_count: int | None
    original_control_sum: int | None
    transactions: tuple[TransactionStatusLine, ...]
    # Why the whole file was rejected (group RJCT): AM05 a duplicate file, AM10/AM18 its
    # totals, AM04 no funds in the paying account…
    group_reason_code: str | None = None
    group_reason_text: str | None = None


@dataclass(frozen=True)
class DebitEntry:
    end_to_end_id: str
    amount: int
    booking_date: date
    bank_reference: str  # AcctSvcrRef: unique per movement


@dataclass(frozen=True)
class DebitNotification:
    """A camt.054: money that left the debtor account, one entry per transfer."""

    message_id: str
    entries: tuple[DebitEntry, ...]


@dataclass(frozen=True)
class BankMessage:
    """What the bank sends back, raw. `cursor` orders messages; ids may repeat (duplicates).

    `unreadable` says why a message listed under a cursor could not be taken as one of
    ours (an unknown kind, content that does not decode): it is recorded as a problem and
    the messages after it are read, never retried forever.
    """

    cursor: int
    message_id: str
    kind: MessageKind
    file_name: str
    content: bytes
    unreadable: str | None = None


class BankAdapter(Protocol):
    async def submit(self, file_name: str, content: bytes) -> str:
        """Hand a pain.001 to the bank; returns the bank's receipt.

        Submitting the same file again (same MsgId) returns the same receipt and is never
        paid twice: a retry after a timeout is always safe.
        """
        ...

    async def messages(self, after: int, limit: int | None = None) -> list[BankMessage]:
        """The messages the bank sent with cursor > `after`, oldest first: all of them,
        or the first `limit`."""
        ...
