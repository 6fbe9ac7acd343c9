"""Entitlements: what each family is owed each month, computed from the dated tariffs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.ledger import entitlement_posting, post
from services.payments.models import Entitlement, PaymentHold, PaymentOrder
from services.payments.tariffs import TariffRow, protection_amount
from shared.contracts.payments import EntitlementRegistered, OrderCreated, RegisterEntitlement
from shared.db.outbox import add_event


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
    """Record the month's Bono de Protección and its payment order, posted to the ledger.

    One row per (family, period, concept) ever; the order waits for the month's cycle, or
    is held when the family's payments are suspended.
    """
    period = command.period.replace(day=1)
    existing = await session.scalar(
        select(Entitlement).where(
            Entitlement.family_id == command.family_id,
            Entitlement.period == period,
            Entitlement.concept == command.concept,
        )
    )
    if existing is not None:
        return _answer(existing)
    owed = protection_amount(tariffs, period, command.plan_month)
    entitlement = Entitlement(
        family_id=command.family_id,
        period=period,
        concept=command.concept,
        plan_month=command.plan_month,
        tranche=owed.tranche,
        amount=owed.amount,
        tariff_effective_from=owed.row.effective_from,
        tariff_source=owed.row.source,
    )
    session.add(entitlement)
    await session.flush()
    hold = await session.get(PaymentHold, command.family_id)
    order = PaymentOrder(
        entitlement_id=entitlement.id,
        family_id=entitlement.family_id,
        period=period,
        concept=entitlement.concept,
        amount=entitlement.amount,
        state="held" if hold is not None else "pending",
    )
    session.add(order)
    await session.flush()
    await post(session, [entitlement_posting(order)])
    await add_event(
        session,
        OrderCreated(
            family_id=order.family_id,
            order_id=order.id,
            period=period.strftime("%Y-%m"),
            concept=order.concept,
            amount=order.amount,
        ),
        producer="payments",
        family_id=order.family_id,
    )
    return _answer(entitlement)
