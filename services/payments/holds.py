"""Suspending a family's payments (a pause, an abandonment under review): its orders are
held, never dropped; released, they wait for the next cycle. Orders already with the bank
are not recalled."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import PaymentHold
from services.payments.repository import holds as repository
from services.payments.repository import orders
from shared.contracts.payments import PaymentsHeld
from shared.db.audit import record_audit


class HoldService:
    async def of_family(self, session: AsyncSession, family_id: UUID) -> PaymentHold | None:
        return await repository.get(session, family_id)

    async def set(
        self, session: AsyncSession, family_id: UUID, *, hold: bool, reason: str, actor: str
    ) -> PaymentsHeld:
        """Suspend (or resume) the family's payments; says how many orders changed state."""
        if hold:
            await repository.upsert(session, family_id, reason=reason, actor=actor)
        else:
            await repository.remove(session, family_id)
        source, target = ("pending", "held") if hold else ("held", "pending")
        count = await orders.move_family_orders(session, family_id, source, target)
        await record_audit(
            session,
            actor=actor,
            action="pagos_retenidos" if hold else "pagos_liberados",
            entity="familia",
            entity_id=family_id,
            motivo=reason,
            ordenes=count,
        )
        return PaymentsHeld(family_id=family_id, held=hold, orders_changed=count)


hold_service = HoldService()
