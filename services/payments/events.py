"""Payments' events about one family's money, built one way wherever they are raised."""

from __future__ import annotations

from typing import Any, TypeVar

from services.payments.repository.records import Money
from shared.contracts.envelope import Envelope
from shared.contracts.payments import FamilyMoney

MoneyEvent = TypeVar("MoneyEvent", bound=FamilyMoney)


def money_event(kind: type[MoneyEvent], row: Money, **extra: Any) -> Envelope:
    payload = kind(
        family_id=row.family_id,
        period=f"{row.period:%Y-%m}",
        concept=row.concept,
        amount=int(row.amount),
        **extra,
    )
    return Envelope.wrap(payload, producer="payments", family_id=row.family_id)
