"""Applying the bank's answers: each message once, each transfer paid at most once.

The bank's messages are read in cursor order. Every message is applied in its own
transaction, which first moves the stored cursor and records the message id: a duplicate
(the same id again) or a message already past the cursor changes nothing. pain.002 says
accepted or rejected per transfer; camt.054 says the money moved, with the bank's own
reference (unique in `batch_lines`). Updates are set-based (`unnest` of the message's
lines), so a 1,000-line answer is three statements, not three thousand.

What does not add up — an unknown file or transfer, a different amount, control totals
that differ from the file sent, money moved for a transfer already rejected — is never
guessed at: it is recorded on the message as a problem, shown in the cycle's progress
and in `familias pagos ciclo`, for the payments officer to resolve with the bank.

A message that cannot be applied at all — it does not read, or the database refuses what
it says (one bank reference for two debits) — is recorded with its reason as a problem and
the cursor moves past it: one bad message stops no one. Only a transient failure (the
database restarting) leaves the cursor where it was, to read the message again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.payments.bank import (
    BankAdapter,
    BankMessage,
    DebitEntry,
    DebitNotification,
    StatusReport,
)
from services.payments.bankfile import parse_camt054, parse_pain002
from services.payments.events import money_event
from services.payments.issues import issue_service
from services.payments.ledger import BANK, PAYABLE, Posting, ledger_service
from services.payments.models import Batch
from services.payments.repository import reconciliation as repository
from services.payments.repository.issues import NewIssue
from services.payments.repository.records import RejectedLine
from shared.contracts.payments import TransferRejected, TransferSettled
from shared.db.outbox import add_events
from shared.errors import ValidationFailed
from shared.observability import get_logger

log = get_logger(__name__)

# ISO 20022 external status reason codes a Chilean bank returns for credit transfers.
REASONS = {
    "AC01": "número de cuenta incorrecto",
    "AC04": "cuenta cerrada",
    "AC06": "cuenta bloqueada",
    "AG01": "operación no permitida para la cuenta",
    "AM04": "fondos insuficientes en la cuenta de cargo",
    "AM05": "archivo duplicado",
    "BE01": "el RUT no coincide con el titular de la cuenta",
    "MD07": "titular fallecido",
    "RC01": "código de banco incorrecto",
    "NARR": "motivo indicado por el banco",
}


DUPLICATE_FILE = "AM05"
# Rejections that say nothing about the family's account — the file (totals, format,
# signature, a duplicate), the paying account's funds, the bank's cut-off time — do not
# count toward moving the payee to in-person payment.
NOT_ABOUT_THE_PAYEE = frozenset({"AM04", "AM05", "AM10", "AM18", "TM01"})


def about_the_payee(code: str) -> bool:
    return code not in NOT_ABOUT_THE_PAYEE and not code.startswith(("DS", "DU", "FF"))


def reason_text(code: str | None, text_: str | None) -> str:
    known = REASONS.get(code or "")
    if known:
        return f"{known} ({code})"
    return text_ or (code or "sin motivo informado")


# The bank's messages are read a page at a time (a camt.054 for 1,000 transfers is ~0.5 MB),
# and one poll stops after the time budget: the backlog of a 150,000-transfer cycle (~300
# messages, ~0.25 s each) is then applied over several polls, each well inside the
# caller's short timeout (a lost reply costs seconds), with one page in memory at a time
# (bench/RESULTS.md, payment cycle).
POLL_PAGE = 20
POLL_BUDGET_SECONDS = 15.0


class ReconciliationService:
    async def poll(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bank: BankAdapter,
        *,
        max_rejects: int,
        budget_seconds: float = POLL_BUDGET_SECONDS,
    ) -> int:
        """Read and apply new messages, page by page, until none are left or the time budget
        is spent; returns how many were new (not duplicates). The next poll goes on from the
        stored cursor."""
        deadline = time.monotonic() + budget_seconds
        async with sessions() as session:
            cursor = await repository.cursor(session) or 0
        applied = 0
        while True:
            messages = await bank.messages(after=cursor, limit=POLL_PAGE)
            for message in messages:
                async with sessions() as session, session.begin():
                    if await self.apply_message(session, message, max_rejects=max_rejects):
                        applied += 1
                cursor = max(cursor, message.cursor)
            if len(messages) < POLL_PAGE or time.monotonic() >= deadline:
                return applied

    async def apply_message(
        self, session: AsyncSession, message: BankMessage, *, max_rejects: int
    ) -> bool:
        await repository.ensure_cursor(session)
        last = await repository.cursor(session, lock=True)
        if last is not None and message.cursor <= last:
            return False  # another poller got here first
        await repository.move_cursor(session, message.cursor)
        if not await repository.record_message(session, message):
            log.info("bank_message_duplicate", kind=message.kind, message_id=message.message_id)
            return False
        problems: list[str]
        try:
            # A savepoint: a message that cannot be applied leaves no trace but its record,
            # its problem and the cursor past it; the messages after it are applied.
            async with session.begin_nested():
                problems = await self._apply(session, message, max_rejects=max_rejects)
        except Exception as exc:
            reason = why_not_applicable(exc)
            if reason is None:
                raise  # transient (database restarting, connection lost): read it again
            log.warning("bank_message_not_applied", message_id=message.message_id, reason=reason)
            problems = [f"no se pudo aplicar: {reason}"]
        if problems:
            summary = "; ".join(problems)[:1900]
            log.warning(
                "bank_message_problems", message_id=message.message_id, problems=len(problems)
            )
            await repository.set_problems(
                session,
                message.kind,
                message.message_id,
                f"{message.kind} {message.message_id}: {summary}",
            )
        return True

    async def _apply(
        self, session: AsyncSession, message: BankMessage, *, max_rejects: int
    ) -> list[str]:
        if message.unreadable is not None:
            return [f"mensaje ilegible: {message.unreadable}"]
        if message.kind == "pain.002":
            report = parse_pain002(message.content)
            return await self.apply_status_report(session, report, max_rejects=max_rejects)
        return await self.apply_notification(session, parse_camt054(message.content))

    async def apply_status_report(
        self, session: AsyncSession, report: StatusReport, *, max_rejects: int
    ) -> list[str]:
        problems: list[str] = []
        batch = await repository.batch_by_message_id(session, report.original_message_id)
        if batch is None:
            return [f"informe de un archivo que no enviamos ({report.original_message_id})"]
        if report.original_count is not None and report.original_count != batch.count:
            problems.append(
                f"el banco informa {report.original_count} transferencias; "
                f"el archivo tenía {batch.count}"
            )
        if (
            report.original_control_sum is not None
            and report.original_control_sum != batch.control_sum
        ):
            problems.append(
                f"el banco informa un total de {report.original_control_sum}; "
                f"el archivo sumaba {batch.control_sum}"
            )
        if report.group_reason_code != DUPLICATE_FILE:
            # The bank answers about the file: it has it, whatever became of the upload's
            # own answer (the submitter does not send it again).
            await repository.mark_received(session, batch.id)
        if report.group_status == "RJCT" and not report.transactions:
            return problems + await self._whole_file_rejected(
                session, batch, report, max_rejects=max_rejects
            )
        rejected: list[tuple[str, str, str]] = []
        accepted: list[str] = []
        for line in report.transactions:
            if line.status == "RJCT":
                code = line.reason_code or ""
                if code == DUPLICATE_FILE:
                    continue  # about a copy of the file: the original's answer decides
                rejected.append((line.end_to_end_id, reason_text(code, line.reason_text), code))
            elif line.status in ("ACSC", "ACCP"):
                accepted.append(line.end_to_end_id)
        if accepted:
            await repository.accept_lines(session, batch.id, accepted)
        if rejected:
            problems += await self._reject(session, batch, rejected, max_rejects=max_rejects)
        group_code = report.group_reason_code or ""
        if report.group_status == "RJCT" and group_code and not about_the_payee(group_code):
            # The whole file refused, each transfer listed (its lines went back above).
            why = reason_text(group_code, report.group_reason_text)
            await self._file_refused(session, batch, why)
        return problems

    async def _whole_file_rejected(
        self, session: AsyncSession, batch: Batch, report: StatusReport, *, max_rejects: int
    ) -> list[str]:
        """A group rejection that lists no transfer: of a copy, of a file the bank had
        answered already, or of the file itself."""
        code = report.group_reason_code or ""
        why = (
            reason_text(code, report.group_reason_text)
            if code or report.group_reason_text
            else ("sin motivo informado")
        )
        if code == DUPLICATE_FILE:
            # A copy sent again (an upload retried after a lost answer): the original was
            # received and its own answers decide. Nothing to change, nothing to undo.
            log.info("bank_duplicate_file_rejected", message_id=batch.message_id)
            return []
        if await repository.answered_lines(session, batch.id):
            return [
                f"el banco rechaza entero el archivo {batch.message_id} ({why}) después de "
                "haber aceptado o pagado transferencias suyas: no se cambia ninguna; "
                "confirmarlo con el banco"
            ]
        return await self.refuse_file(session, batch, why, code=code, max_rejects=max_rejects)

    async def refuse_file(
        self, session: AsyncSession, batch: Batch, why: str, *, code: str = "", max_rejects: int
    ) -> list[str]:
        """The bank refused the whole file (at upload, or in a status report): its transfers
        are rejected and their orders go back to pending, to be sent in a new file (new
        message and transfer ids, never this file again); the refusal is an issue a person
        sees. A file-level refusal counts against no family."""
        reason = f"archivo rechazado por el banco: {why}; se envía de nuevo"
        ids = await repository.end_to_end_ids(session, batch.id)
        problems = await self._reject(
            session, batch, [(e2e, reason, code) for e2e in ids], max_rejects=max_rejects,
            whole_file=True,
        )  # fmt: skip
        await self._file_refused(session, batch, why)
        return problems

    async def _file_refused(self, session: AsyncSession, batch: Batch, why: str) -> None:
        await repository.refuse_batch(session, batch.id)
        await issue_service.open(
            session,
            "archivo_rechazado",
            [
                NewIssue(
                    period=batch.cycle_period,
                    batch_id=batch.id,
                    amount=batch.control_sum,
                    detail=(
                        f"el banco rechazó entero el archivo {batch.message_id} "
                        f"({batch.count} transferencias): {why}; sus órdenes vuelven a "
                        "pendientes y se envían en un archivo nuevo"
                    ),
                )
            ],
        )

    async def _reject(
        self,
        session: AsyncSession,
        batch: Batch,
        rejected: list[tuple[str, str, str]],
        *,
        max_rejects: int,
        whole_file: bool = False,
    ) -> list[str]:
        """Reject the transfers still in flight (their orders go back to pending); a
        rejection of a transfer the bank debited already changes nothing but opens an issue."""
        problems: list[str] = []
        ids = [r[0] for r in rejected]
        debited = await repository.settled_among(session, batch.id, ids)
        rows = await repository.reject_lines(
            session,
            batch.id,
            ids=ids,
            reasons=[r[1] for r in rejected],
            codes=[r[2] or None for r in rejected],
        )
        if debited:
            reasons = {r[0]: r[1] for r in rejected}
            await issue_service.open(
                session,
                "rechazo_tras_cargo",
                [
                    NewIssue(
                        period=line.period,
                        family_id=line.family_id,
                        order_id=line.order_id,
                        batch_id=line.batch_id,
                        end_to_end_id=line.end_to_end_id,
                        bank_reference=line.bank_reference,
                        amount=int(line.amount),
                        detail=(
                            f"el banco cargó la transferencia {line.end_to_end_id} "
                            f"({line.bank_reference}) y después la rechazó "
                            f"({reasons.get(line.end_to_end_id)}): sigue pagada y no se envía "
                            "de nuevo; si el banco devolvió el cargo, resolver como no pagada"
                        ),
                    )
                    for line in debited
                ],
            )
        unmatched = len(rejected) - len(rows) - len(debited)
        if unmatched > 0:
            problems.append(f"{unmatched} rechazos de transferencias desconocidas o ya resueltas")
        counted = [
            r.family_id for r in rows if not whole_file and about_the_payee(r.reason_code or "")
        ]
        channels = await repository.count_rejects(session, counted, max_rejects)

        def explained(row: RejectedLine) -> str:
            why = row.reason_text or "sin motivo informado"
            if row.family_id in counted and channels.get(row.family_id) == "presencial":
                return f"{why}; desde ahora se paga en forma presencial"
            return why

        await add_events(
            session, [money_event(TransferRejected, r, reason=explained(r)) for r in rows]
        )
        return problems

    async def apply_notification(
        self, session: AsyncSession, notification: DebitNotification
    ) -> list[str]:
        entries = notification.entries
        if not entries:
            return []
        rows = await repository.settle_lines(
            session,
            ids=[e.end_to_end_id for e in entries],
            amounts=[e.amount for e in entries],
            refs=[e.bank_reference for e in entries],
            days=[e.booking_date for e in entries],
        )
        await ledger_service.post(
            session,
            [
                Posting.of(
                    r, PAYABLE, BANK, order_id=r.order_id, reference=f"pago:{r.bank_reference}"
                )
                for r in rows
            ],
        )
        await add_events(
            session,
            [money_event(TransferSettled, r, bank_reference=r.bank_reference) for r in rows],
        )
        contradicted = [r for r in rows if r.was == "rejected"]
        if contradicted:
            # The money left: the order is paid and never sent again; a person confirms.
            await issue_service.open(
                session,
                "cargo_tras_rechazo",
                [
                    NewIssue(
                        period=r.period,
                        family_id=r.family_id,
                        order_id=r.order_id,
                        batch_id=r.batch_id,
                        end_to_end_id=r.end_to_end_id,
                        bank_reference=r.bank_reference,
                        amount=int(r.amount),
                        detail=(
                            f"el banco rechazó la transferencia {r.end_to_end_id} "
                            f"({r.was_reason or 'sin motivo'}) y después la cargó "
                            f"({r.bank_reference}): cuenta como pagada y no se envía de nuevo; "
                            "si el banco devolvió el cargo, resolver como no pagada"
                        ),
                    )
                    for r in contradicted
                ],
            )
        if len(rows) == len(entries):
            return []
        return await self._explain_unmatched(session, entries, {r.bank_reference for r in rows})

    async def _explain_unmatched(
        self, session: AsyncSession, entries: Sequence[DebitEntry], matched: set[str]
    ) -> list[str]:
        """Entries that paid nothing: a repeat of a known movement is fine; a debit of an
        order paid by another transfer is kept on its line as a second debit, for a person;
        the rest are problems."""
        problems: list[str] = []
        second: list[NewIssue] = []
        for entry in entries:
            if entry.bank_reference in matched:
                continue
            line = await repository.line_by_end_to_end_id(session, entry.end_to_end_id)
            if line is None:
                problems.append(f"cargo {entry.bank_reference} de una transferencia desconocida")
            elif line.bank_reference == entry.bank_reference:
                continue  # the same movement notified again
            elif line.amount != entry.amount:
                problems.append(
                    f"cargo {entry.bank_reference} por {entry.amount}; la transferencia era por "
                    f"{line.amount}"
                )
            elif line.status == "settled":
                problems.append(
                    f"segundo cargo {entry.bank_reference} para una transferencia ya pagada: "
                    "pedir la reversa al banco"
                )
            elif (
                line.status in ("sent", "accepted", "rejected")
                and line.bank_reference is None
                and line.order_paid
            ):
                await repository.dispute_line(
                    session, line.id, entry.bank_reference, entry.booking_date
                )
                second.append(
                    NewIssue(
                        period=line.period,
                        family_id=line.family_id,
                        order_id=line.order_id,
                        batch_id=line.batch_id,
                        end_to_end_id=line.end_to_end_id,
                        bank_reference=entry.bank_reference,
                        amount=int(entry.amount),
                        detail=(
                            f"cargo {entry.bank_reference} de la transferencia "
                            f"{line.end_to_end_id}, de una orden que otra transferencia ya "
                            "pagó: pedir la reversa al banco"
                        ),
                    )
                )
            else:
                problems.append(
                    f"cargo {entry.bank_reference} para una transferencia en estado {line.status}"
                )
        await issue_service.open(session, "segundo_cargo", second)
        return problems


def why_not_applicable(exc: Exception) -> str | None:
    """Why a bank message can never be applied as it is (it does not read, or the database
    refuses what it says), in words for the payments officer; None when the failure is
    transient and reading the message again may work."""
    if isinstance(exc, ValidationFailed):
        return exc.message
    if isinstance(exc, IntegrityError):
        # asyncpg's error (behind SQLAlchemy's adapter) names the constraint.
        cause = getattr(exc.orig, "__cause__", None)
        constraint = getattr(cause, "constraint_name", None) or _first_line(exc.orig)
        return f"contradice una regla de los datos ({_CONSTRAINTS.get(constraint, constraint)})"
    if isinstance(exc, DataError):
        return f"trae un valor que no se puede guardar ({_first_line(exc.orig)})"
    if isinstance(exc, (LookupError, ValueError, UnicodeError)):
        return f"no se puede leer ({exc})"
    return None


_CONSTRAINTS = {
    "uq_batch_lines_bank_reference": "una misma referencia del banco para dos transferencias",
    "uq_batch_lines_order_paid": "una orden pagada dos veces",
    "uq_batch_lines_order_in_flight": "dos envíos de una orden a la vez",
}


def _first_line(error: object) -> str:
    text_ = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text_.split(": ", 1)[-1][:300]


reconciliation_service = ReconciliationService()
