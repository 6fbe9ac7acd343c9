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
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.payments.bank import (
    BankAdapter,
    BankMessage,
    DebitNotification,
    StatusReport,
)
from services.payments.bankfile import parse_camt054, parse_pain002
from services.payments.events import money_event
from services.payments.ledger import BANK, PAYABLE, Posting, post
from services.payments.models import BankCursor, BankMessageRecord, Batch
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


async def poll(
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
        cursor = await session.scalar(select(BankCursor.last_cursor).where(BankCursor.id == 1))
    cursor = cursor or 0
    applied = 0
    while True:
        messages = await bank.messages(after=cursor, limit=POLL_PAGE)
        for message in messages:
            async with sessions() as session, session.begin():
                if await apply_message(session, message, max_rejects=max_rejects):
                    applied += 1
            cursor = max(cursor, message.cursor)
        if len(messages) < POLL_PAGE or time.monotonic() >= deadline:
            return applied


async def apply_message(session: AsyncSession, message: BankMessage, *, max_rejects: int) -> bool:
    await session.execute(insert(BankCursor).values(id=1, last_cursor=0).on_conflict_do_nothing())
    last = await session.scalar(
        select(BankCursor.last_cursor).where(BankCursor.id == 1).with_for_update()
    )
    if last is not None and message.cursor <= last:
        return False  # another poller got here first
    await session.execute(
        text("UPDATE bank_cursor SET last_cursor = :c WHERE id = 1"), {"c": message.cursor}
    )
    recorded = await session.execute(
        insert(BankMessageRecord)
        .values(
            kind=message.kind,
            message_id=message.message_id,
            cursor=message.cursor,
            file_name=message.file_name,
            content=message.content,
        )
        .on_conflict_do_nothing()
        .returning(BankMessageRecord.message_id)
    )
    if recorded.first() is None:
        log.info("bank_message_duplicate", kind=message.kind, message_id=message.message_id)
        return False
    problems: list[str]
    try:
        if message.kind == "pain.002":
            problems = await apply_status_report(
                session, parse_pain002(message.content), max_rejects=max_rejects
            )
        else:
            problems = await apply_notification(session, parse_camt054(message.content))
    except ValidationFailed as exc:
        problems = [f"Mensaje ilegible: {exc.message}"]
    if problems:
        summary = "; ".join(problems)[:1900]
        log.warning("bank_message_problems", message_id=message.message_id, problems=len(problems))
        await session.execute(
            text("UPDATE bank_messages SET problems = :p WHERE kind = :k AND message_id = :m"),
            {
                "p": f"{message.kind} {message.message_id}: {summary}",
                "k": message.kind,
                "m": message.message_id,
            },
        )
    return True


REJECT_LINES = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:reasons AS text[]), CAST(:codes AS text[]))
            AS t(e2e, reason, code)
    ), hit AS (
        UPDATE batch_lines l
        SET status = 'rejected', reason_code = i.code, reason_text = i.reason, updated_at = now()
        FROM incoming i
        WHERE l.end_to_end_id = i.e2e AND l.batch_id = :batch_id
          AND l.status IN ('sent', 'accepted')
        RETURNING l.order_id, l.family_id, l.period, l.concept, l.amount, l.reason_text
    ), back AS (
        UPDATE payment_orders o SET state = 'pending', updated_at = now()
        FROM hit WHERE o.id = hit.order_id
        RETURNING o.id
    )
    SELECT hit.* FROM hit
    """
)

ACCEPT_LINES = text(
    "UPDATE batch_lines SET status = 'accepted', updated_at = now() "
    "WHERE batch_id = :batch_id AND status = 'sent' AND end_to_end_id = ANY(CAST(:ids AS text[]))"
)

COUNT_REJECTS = text(
    """
    UPDATE payees p SET rejects_in_row = p.rejects_in_row + t.n,
        channel = CASE WHEN p.rejects_in_row + t.n >= :max THEN 'presencial' ELSE p.channel END
    FROM (
        SELECT f AS family_id, count(*) AS n
        FROM unnest(CAST(:families AS uuid[])) f GROUP BY f
    ) t
    WHERE p.family_id = t.family_id
    RETURNING p.family_id, p.channel
    """
)


async def apply_status_report(
    session: AsyncSession, report: StatusReport, *, max_rejects: int
) -> list[str]:
    problems: list[str] = []
    batch = await session.scalar(
        select(Batch).where(Batch.message_id == report.original_message_id)
    )
    if batch is None:
        return [f"informe de un archivo que no enviamos ({report.original_message_id})"]
    if report.original_count is not None and report.original_count != batch.count:
        problems.append(
            f"el banco informa {report.original_count} transferencias; "
            f"el archivo tenía {batch.count}"
        )
    if report.original_control_sum is not None and report.original_control_sum != batch.control_sum:
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
        ids = (
            (
                await session.execute(
                    text("SELECT end_to_end_id FROM batch_lines WHERE batch_id = :b"),
                    {"b": batch.id},
                )
            )
            .scalars()
            .all()
        )
        rejected = [(e2e, reason, "") for e2e in ids]
    if accepted:
        await session.execute(ACCEPT_LINES, {"batch_id": batch.id, "ids": accepted})
    if rejected:
        rows = (
            await session.execute(
                REJECT_LINES,
                {
                    "batch_id": batch.id,
                    "ids": [r[0] for r in rejected],
                    "reasons": [r[1] for r in rejected],
                    "codes": [r[2] or None for r in rejected],
                },
            )
        ).all()
        if len(rows) < len(rejected):
            problems.append(
                f"{len(rejected) - len(rows)} rechazos de transferencias desconocidas "
                "o ya resueltas"
            )
        channels: dict[Any, str] = dict(
            (
                await session.execute(
                    COUNT_REJECTS, {"families": [r.family_id for r in rows], "max": max_rejects}
                )
            ).all()
        )

        def explained(row: Any) -> str:
            why = row.reason_text or "sin motivo informado"
            if channels.get(row.family_id) == "presencial":
                return f"{why}; desde ahora se paga en forma presencial"
            return why

        await add_events(
            session, [money_event(TransferRejected, r, reason=explained(r)) for r in rows]
        )
    return problems


SETTLE_LINES = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:amounts AS bigint[]),
                             CAST(:refs AS text[]), CAST(:days AS date[]))
            AS t(e2e, amount, ref, day)
    ), hit AS (
        UPDATE batch_lines l
        SET status = 'settled', bank_reference = i.ref, settled_on = i.day, updated_at = now()
        FROM incoming i
        WHERE l.end_to_end_id = i.e2e AND l.amount = i.amount
          AND l.status IN ('sent', 'accepted')
        RETURNING l.order_id, l.family_id, l.period, l.concept, l.amount, l.bank_reference
    ), paid AS (
        UPDATE payment_orders o SET state = 'settled', updated_at = now()
        FROM hit WHERE o.id = hit.order_id
        RETURNING o.id
    ), reset AS (
        UPDATE payees p SET rejects_in_row = 0
        WHERE p.family_id IN (SELECT family_id FROM hit) AND p.rejects_in_row > 0
    )
    SELECT hit.* FROM hit
    """
)


async def apply_notification(session: AsyncSession, notification: DebitNotification) -> list[str]:
    entries = notification.entries
    if not entries:
        return []
    rows = (
        await session.execute(
            SETTLE_LINES,
            {
                "ids": [e.end_to_end_id for e in entries],
                "amounts": [e.amount for e in entries],
                "refs": [e.bank_reference for e in entries],
                "days": [e.booking_date for e in entries],
            },
        )
    ).all()
    await post(
        session,
        [
            Posting(
                PAYABLE,
                BANK,
                int(r.amount),
                r.family_id,
                r.period,
                r.concept,
                r.order_id,
                f"pago:{r.bank_reference}",
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


async def _explain_unmatched(
    session: AsyncSession, entries: Sequence[Any], matched: set[str]
) -> list[str]:
    """Entries that paid nothing: a repeat of a settled one is fine; the rest are problems."""
    problems: list[str] = []
    for entry in entries:
        if entry.bank_reference in matched:
            continue
        line = (
            await session.execute(
                text(
                    "SELECT status, amount, bank_reference FROM batch_lines "
                    "WHERE end_to_end_id = :e"
                ),
                {"e": entry.end_to_end_id},
            )
        ).first()
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
