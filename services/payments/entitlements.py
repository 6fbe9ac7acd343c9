"""Entitlements: what each family is owed each month, computed from the dated tariffs."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.events import money_event
from services.payments.ledger import entitlement_posting, post
from services.payments.models import Entitlement, FamilyIncome, PaymentHold, PaymentOrder
from services.payments.tariffs import (
    MonthAmount,
    TariffRow,
    base_familiar_amount,
    protection_amount,
)
from shared.contracts.payments import EntitlementRegistered, OrderCreated, RegisterEntitlement
from shared.db.outbox import add_events


def _answer(entitlement: Entitlement) -> EntitlementRegistered:
    return EntitlementRegistered(
        family_id=entitlement.family_id,
        period=entitlement.period,
        plan_month=entitlement.plan_month,
        concept=entitlement.concept,
        amount=entitlement.amount,
        tariff_source=entitlement.tariff_source,
    )


async def register_entitlement(
    session: AsyncSession, command: RegisterEntitlement, tariffs: list[TariffRow]
) -> EntitlementRegistered:
    """Record the month's Bono de Protección and its payment order, posted to the ledger —
    and the Bono Base Familiar too when the family's income entitles it.

    One row per (family, period, concept) ever; the order waits for the month's cycle, or
    is held when the family's payments are suspended.
    """
    period = command.period.replace(day=1)
    existing = await _existing(session, command.family_id, period, command.concept)
    if existing is not None:
        return _answer(existing)
    owed = protection_amount(tariffs, period, command.plan_month)
    entitlement = await record(session, command.family_id, owed)
    income = await session.get(FamilyIncome, command.family_id)
    if income is not None and income.eligible:
        base = base_familiar_amount(
            tariffs, period, command.plan_month, income.per_capita, income.members
        )
        if (
            base is not None
            and await _existing(session, command.family_id, period, base.concept) is None
        ):
            await record(session, command.family_id, base, source=f"{base.row.source}; "
                         f"ingreso per cápita {income.per_capita} ({income.source})")  # fmt: skip
    return _answer(entitlement)


async def _existing(
    session: AsyncSession, family_id: UUID, period: date, concept: str
) -> Entitlement | None:
    found: Entitlement | None = await session.scalar(
        select(Entitlement).where(
            Entitlement.family_id == family_id,
            Entitlement.period == period,
            Entitlement.concept == concept,
        )
    )
    return found


async def record(
    session: AsyncSession, family_id: UUID, owed: MonthAmount, *, source: str | None = None
) -> Entitlement:
    """The entitlement, its order (held if the family's payments are), ledger and event."""
    entitlement = Entitlement(
        family_id=family_id,
        period=owed.paid_month,
        concept=owed.concept,
        plan_month=owed.plan_month,
        tranche=owed.tranche,
        amount=owed.amount,
        tariff_effective_from=owed.row.effective_from,
        tariff_source=(source or owed.row.source)[:200],
    )
    session.add(entitlement)
    await session.flush()
    hold = await session.get(PaymentHold, family_id)
    order = PaymentOrder(
        entitlement_id=entitlement.id,
        family_id=family_id,
        period=owed.paid_month,
        concept=owed.concept,
        amount=owed.amount,
        state="held" if hold is not None else "pending",
    )
    session.add(order)
    await session.flush()
    await post(session, [entitlement_posting(order)])
    await add_events(session, [money_event(OrderCreated, order, order_id=order.id)])
    return entitlement
