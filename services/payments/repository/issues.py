"""Payment issues: what the bank contradicts (or refuses whole), kept for a person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import PaymentIssue
from services.payments.repository.records import IssueLine

# Kinds whose order must not be sent again while the issue is open (see BUILD_LINES).
BLOCKING = ("cargo_tras_rechazo", "rechazo_tras_cargo", "segundo_cargo")


@dataclass(frozen=True)
class NewIssue:
    period: date
    detail: str
    family_id: UUID | None = None
    order_id: UUID | None = None
    batch_id: UUID | None = None
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    amount: int | None = None


async def add(session: AsyncSession, kind: str, issues: Sequence[NewIssue]) -> int:
    """Open the issues of one kind, except those already open for the same transfer (the
    bank repeating itself under another message id); returns how many were opened."""
    transfers = [i.end_to_end_id for i in issues if i.end_to_end_id is not None]
    files = [i.batch_id for i in issues if i.end_to_end_id is None and i.batch_id is not None]
    already: set[object] = set()
    if transfers or files:
        found = await session.execute(
            select(PaymentIssue.end_to_end_id, PaymentIssue.batch_id).where(
                PaymentIssue.kind == kind,
                PaymentIssue.resolved_at.is_(None),
                PaymentIssue.end_to_end_id.in_(transfers)
                | (PaymentIssue.end_to_end_id.is_(None) & PaymentIssue.batch_id.in_(files)),
            )
        )
        already = {e2e if e2e is not None else batch for e2e, batch in found.all()}
    rows = [
        {**asdict(i), "kind": kind, "detail": i.detail[:500]}
        for i in issues
        if (i.end_to_end_id if i.end_to_end_id is not None else i.batch_id) not in already
    ]
    if rows:
        await session.execute(insert(PaymentIssue), rows)
    return len(rows)


async def listed(
    session: AsyncSession, *, status: str, period: date | None, limit: int
) -> Sequence[PaymentIssue]:
    """`status`: open, resolved or all."""
    statement = select(PaymentIssue).order_by(PaymentIssue.opened_at, PaymentIssue.id)
    if status == "open":
        statement = statement.where(PaymentIssue.resolved_at.is_(None))
    elif status == "resolved":
        statement = statement.where(PaymentIssue.resolved_at.is_not(None))
    if period is not None:
        statement = statement.where(PaymentIssue.period == period)
    return (await session.scalars(statement.limit(limit))).all()


async def get(session: AsyncSession, issue_id: UUID, *, lock: bool = False) -> PaymentIssue | None:
    return await session.get(PaymentIssue, issue_id, with_for_update=lock)


async def count_open(session: AsyncSession, period: date | None = None) -> int:
    statement = select(func.count()).where(PaymentIssue.resolved_at.is_(None))
    if period is not None:
        statement = statement.where(PaymentIssue.period == period)
    return int(await session.scalar(statement) or 0)


async def resolve(
    session: AsyncSession, issue_id: UUID, *, resolution: str, actor: str, notes: str | None
) -> None:
    await session.execute(
        update(PaymentIssue)
        .where(PaymentIssue.id == issue_id)
        .values(resolved_at=func.now(), resolved_by=actor, resolution=resolution, notes=notes)
    )


LINE_OF_ISSUE = text(
    "SELECT id, order_id, family_id, period, concept, amount, bank_reference, end_to_end_id, "
    "batch_id, status FROM batch_lines WHERE end_to_end_id = :e FOR UPDATE"
)

# The bank gave a debit back: the line is rejected (keeping the reference of the debit
# returned, so that debit can never settle it again) and its order is owed again.
RETURN_DEBIT = text(
    """
    WITH line AS (
        UPDATE batch_lines SET status = 'rejected', reason_code = NULL, reason_text = :reason,
            updated_at = now()
        WHERE id = :id AND status = 'settled'
        RETURNING order_id
    )
    UPDATE payment_orders o SET state = 'pending', updated_at = now()
    FROM line WHERE o.id = line.order_id AND o.state = 'settled'
    RETURNING o.id
    """
)

DROP_SECOND_DEBIT = text(
    "UPDATE batch_lines SET status = 'rejected', reason_text = :reason, updated_at = now() "
    "WHERE id = :id AND status = 'disputed'"
)


async def line_of(session: AsyncSession, end_to_end_id: str) -> IssueLine | None:
    """The issue's transfer line, locked."""
    return (await session.execute(LINE_OF_ISSUE, {"e": end_to_end_id})).first()


async def return_debit(session: AsyncSession, line_id: UUID, reason: str) -> bool:
    """The settled line becomes rejected and its order pending; False if it was not settled."""
    changed = await session.execute(RETURN_DEBIT, {"id": line_id, "reason": reason})
    return changed.first() is not None


async def drop_second_debit(session: AsyncSession, line_id: UUID, reason: str) -> None:
    await session.execute(DROP_SECOND_DEBIT, {"id": line_id, "reason": reason})
