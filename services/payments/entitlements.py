"""Entitlements: what each family is owed each month, computed from the dated tariffs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.events import money_event
from services.payments.ledger import EXPENSE, PAYABLE, Posting, ledger_service
from services.payments.models import Entitlement, PaymentOrder
from services.payments.repository import entitlements as repository
from services.payments.repository import holds, incomes
from services.payments.tariffs import (
    MonthAmount,
    TariffRow,
    base_familiar_amount,
    protection_amount,
)
from shared.contracts.payments import EntitlementRegistered, OrderCreated, RegisterEntitlement
from shared.db.outbox import add_events


def _answer(entitlement: Entitlement) -> EntitlementRegistered:
    return EntitlementRegistered.model_validate(entitlement, from_attributes=True)


def new_entitlement(
    family_id: UUID,
    period: date,
    concept: str,
    amount: int,
    *,
    source: str,
    plan_month: int = 0,
    tranche: int = 0,
    tariff_effective_from: date | None = None,
) -> Entitlement:
    """An entitlement to record; plan month and tranche 0 when it is not tied to the plan's
    calendar (a bonus the ministry reports)."""
    return Entitlement(
        family_id=family_id,
        period=period,
        concept=concept,
        plan_month=plan_month,
        tranche=tranche,
        amount=amount,
        tariff_effective_from=tariff_effective_from or period,
        tariff_source=source[:200],
    )


def entitlement_for(
    family_id: UUID, month: MonthAmount, *, source: str | None = None
) -> Entitlement:
    return new_entitlement(
        family_id,
        month.period,
        month.concept,
        month.amount,
        source=source or month.source,
        plan_month=month.plan_month,
        tranche=month.tranche,
        tariff_effective_from=month.row.effective_from,
    )


class EntitlementService:
    async def of_family(self, session: AsyncSession, family_id: UUID) -> Sequence[Entitlement]:
        return await repository.of_family(session, family_id)

    async def register(
        self, session: AsyncSession, command: RegisterEntitlement, tariffs: list[TariffRow]
    ) -> EntitlementRegistered:
        """Record the month's Bono de Protección and its payment order, posted to the ledger —
        and the Bono Base Familiar too when the family's income entitles it.

        One row per (family, period, concept) ever; the order waits for the month's cycle, or
        is held when the family's payments are suspended.
        """
        period = command.period.replace(day=1)
        existing = await repository.find(session, command.family_id, period, command.concept)
        if existing is not None:
            return _answer(existing)
        owed = [
            entitlement_for(
                command.family_id, protection_amount(tariffs, period, command.plan_month)
            )
        ]
        income = await incomes.get(session, command.family_id)
        if income is not None and income.eligible:
            base = base_familiar_amount(
                tariffs, period, command.plan_month, income.per_capita, income.members
            )
            if (
                base is not None
                and await repository.find(session, command.family_id, period, base.concept) is None
            ):
                source = (
                    f"{base.row.source}; ingreso per cápita {income.per_capita} ({income.source})"
                )
                owed.append(entitlement_for(command.family_id, base, source=source))
        await self.record(session, owed)
        return _answer(owed[0])

    async def record(
        self, session: AsyncSession, entitlements: list[Entitlement]
    ) -> list[PaymentOrder]:
        """Entitlements with their orders (held if the family's payments are), ledger entries
        and `order.created` events, in the caller's transaction — the one way anything owed
        (monthly bonuses, imported bonuses, a reliquidación) enters the books."""
        if not entitlements:
            return []
        session.add_all(entitlements)
        await session.flush()
        held = await holds.held_among(session, {e.family_id for e in entitlements})
        orders = [
            PaymentOrder(
                entitlement_id=e.id,
                family_id=e.family_id,
                period=e.period,
                concept=e.concept,
                amount=e.amount,
                state="held" if e.family_id in held else "pending",
            )
            for e in entitlements
        ]
        session.add_all(orders)
        await session.flush()
        await ledger_service.post(
            session,
            [
                Posting.of(o, EXPENSE, PAYABLE, order_id=o.id, reference=f"derecho:{o.id}")
                for o in orders
            ],
        )
        await add_events(session, [money_event(OrderCreated, o, order_id=o.id) for o in orders])
        return orders


entitlement_service = EntitlementService()
