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
from services.payments.ledger import BANK, PAYABLE, Posting, ledger_service
from services.payments.repository import reconciliation as repository
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


def reason_text(code: str | None, text_: str | None) -> str:
    known = REASONS.get(code or "")
    if known:
        return f"{known} ({code})"
    return text_ or (code or "sin motivo informado")


# The bank's messages are read a page at a time (a camt.054 for 1,000 transfers is ~0.5 MB),
# and one poll stops after the time budget: the backlog of a 150,000-transfer cycle (~300
# messages) is then applied over several polls, each well inside the caller's timeout, with
# one page in memory at a time (bench/RESULTS.md, payment cycle).
POLL_PAGE = 20
POLL_BUDGET_SECONDS = 45.0


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
        rejected: list[tuple[str, str, str]] = []
        accepted: list[str] = []
        for line in report.transactions:
            if line.status == "RJCT":
                code = line.reason_code or ""
                rejected.append((line.end_to_end_id, reason_text(code, line.reason_text), code))
            elif line.status in ("ACSC", "ACCP"):
                accepted.append(line.end_to_end_id)
        if report.group_status == "RJCT" and not report.transactions:
            # The whole file was refused: every transfer in it goes back to be retried.
            reason = "archivo rechazado por el banco"
            ids = await repository.end_to_end_ids(session, batch.id)
            rejected = [(e2e, reason, "") for e2e in ids]
        if accepted:
            await repository.accept_lines(session, batch.id, accepted)
        if rejected:
            rows = await repository.reject_lines(
                session,
                batch.id,
                ids=[r[0] for r in rejected],
                reasons=[r[1] for r in rejected],
                codes=[r[2] or None for r in rejected],
            )
            if len(rows) < len(rejected):
                problems.append(
                    f"{len(rejected) - len(rows)} rechazos de transferencias desconocidas "
                    "o ya resueltas"
                )
            channels = await repository.count_rejects(
                session, [r.family_id for r in rows], max_rejects
            )

            def explained(row: RejectedLine) -> str:
                why = row.reason_text or "sin motivo informado"
                if channels.get(row.family_id) == "presencial":
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
        if len(rows) == len(entries):
            return []
        return await _explain_unmatched(session, entries, {r.bank_reference for r in rows})


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


async def _explain_unmatched(
    session: AsyncSession, entries: Sequence[DebitEntry], matched: set[str]
) -> list[str]:
    """Entries that paid nothing: a repeat of a settled one is fine; the rest are problems."""
    problems: list[str] = []
    for entry in entries:
        if entry.bank_reference in matched:
            continue
        line = await repository.line_by_end_to_end_id(session, entry.end_to_end_id)
        if line is None:
            problems.append(f"cargo {entry.bank_reference} de una transferencia desconocida")
        elif line.status == "settled" and line.bank_reference == entry.bank_reference:
            continue  # the same movement notified again
        elif line.status == "settled":
            problems.append(
                f"segundo cargo {entry.bank_reference} para una transferencia ya pagada: "
                "pedir la reversa al banco"
            )
        elif line.amount != entry.amount:
            problems.append(
                f"cargo {entry.bank_reference} por {entry.amount}; la transferencia era por "
                f"{line.amount}"
            )
        else:
            problems.append(
                f"cargo {entry.bank_reference} para una transferencia en estado {line.status}"
            )
    return problems


reconciliation_service = ReconciliationService()
