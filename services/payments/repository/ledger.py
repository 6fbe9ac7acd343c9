"""The double-entry ledger's rows, and the month's checks on them (the cuadratura)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import LedgerEntry
from shared.db.bulk import COPY_THRESHOLD, copy_rows

UNBALANCED_TRANSACTIONS = text(
    "SELECT count(*) FROM (SELECT tx_id FROM ledger_entries WHERE period = :period "
    "GROUP BY tx_id HAVING sum(debit) <> sum(credit)) AS t"
)
ORDERS_PAID_TWICE = text(
    "SELECT count(*) FROM (SELECT order_id FROM batch_lines WHERE period = :period "
    "AND status IN ('settled', 'claimed') GROUP BY order_id HAVING count(*) > 1) t"
)


async def add_entries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Many rows (a cycle's settlements) go in with COPY, a few with one INSERT."""
    if len(rows) >= COPY_THRESHOLD:
        await copy_rows(session, "ledger_entries", rows)
    elif rows:
        await session.execute(insert(LedgerEntry), rows)


async def balances(session: AsyncSession, period: date) -> dict[str, int]:
    """Debit − credit per account, for the month."""
    rows = await session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.debit - LedgerEntry.credit))
        .where(LedgerEntry.period == period)
        .group_by(LedgerEntry.account)
    )
    return {account: int(balance) for account, balance in rows.all()}


async def unbalanced_transactions(session: AsyncSession, period: date) -> int:
    return int((await session.execute(UNBALANCED_TRANSACTIONS, {"period": period})).scalar_one())


async def orders_paid_twice(session: AsyncSession, period: date) -> int:
    return int((await session.execute(ORDERS_PAID_TWICE, {"period": period})).scalar_one())
