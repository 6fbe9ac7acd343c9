"""Payments' events about one family's money, built one way wherever they are raised."""

from __future__ import annotations

from typing import Any, TypeVar

from shared.contracts.envelope import Envelope
from shared.contracts.payments import FamilyMoney

MoneyEvent = TypeVar("MoneyEvent", bound=FamilyMoney)


def money_event(kind: type[MoneyEvent], row: Any, **extra: Any) -> Envelope:
    """`row` has family_id, period (a date), concept and amount (an order or a batch line)."""
    payload = kind(
        family_id=row.family_id,
        period=f"{row.period:%Y-%m}",
        concept=row.concept,
        amount=int(row.amount),
        **extra,
    )
    return Envelope.wrap(payload, producer="payments", family_id=row.family_id)
