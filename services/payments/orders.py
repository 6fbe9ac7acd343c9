"""A family's payment orders, each with its transfer attempts (the batch lines)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import BatchLine, PaymentOrder
from services.payments.repository import orders as repository


@dataclass(frozen=True)
class OrderHistory:
    order: PaymentOrder
    attempts: list[BatchLine]


class OrderService:
    async def of_family(self, session: AsyncSession, family_id: UUID) -> list[OrderHistory]:
        orders = await repository.of_family(session, family_id)
        lines = await repository.attempts_of_family(session, family_id)
        return [OrderHistory(o, [line for line in lines if line.order_id == o.id]) for o in orders]


order_service = OrderService()
