"""How the open payment issues read wherever they are listed: the cycle's progress
(`familias pagos avance`) and the month's cuadratura."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.labels import ISSUE_KINDS
from services.payments.models import PaymentIssue
from services.payments.repository import issues as repository

# How many open issues are spelled out one by one; the rest are counted.
LISTED = 50


def describe(issue: PaymentIssue) -> str:
    kind = ISSUE_KINDS.get(issue.kind, issue.kind)
    return (
        f"Problema de pago sin resolver ({kind}): {issue.detail} "
        f"— se resuelve con: familias pagos resolver {issue.id}"
    )


async def open_problems(session: AsyncSession, period: date | None = None) -> list[str]:
    """The open issues (of one month, or all) in words, the first `LISTED` of them."""
    found = await repository.listed(session, status="open", period=period, limit=LISTED + 1)
    problems = [describe(issue) for issue in found[:LISTED]]
    if len(found) > LISTED:
        more = await repository.count_open(session, period) - LISTED
        problems.append(f"… y {more} problemas de pago más sin resolver (familias pagos problemas)")
    return problems
