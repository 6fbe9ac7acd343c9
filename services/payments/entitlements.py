"""Entitlements: what each family is owed each month, computed from the dated tariffs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import Entitlement
from services.payments.tariffs import TariffRow, protection_amount
from shared.contracts.payments import EntitlementRegistered, RegisterEntitlement


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
    """Record the month's Bono de Protección; one row per (family, period, concept) ever."""
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
    return _answer(entitlement)
