"""A family's payment orders and every attempt to pay each one."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.payments.labels import LINE_STATES, ORDER_STATES
from services.payments.orders import order_service
from services.payments.schemas import AttemptOut, OrderOut
from shared.http.deps import Session

router = APIRouter(prefix="/v1/families/{family_id}", tags=["derechos y órdenes"])


@router.get("/orders", summary="Órdenes de pago de una familia y sus intentos")
async def family_orders(family_id: UUID, db: Session) -> list[OrderOut]:
    return [
        OrderOut(
            period=history.order.period,
            concept=history.order.concept,
            amount=history.order.amount,
            status=history.order.state,
            status_label=ORDER_STATES.get(history.order.state, history.order.state),
            attempts=[
                AttemptOut(
                    reference=line.end_to_end_id,
                    channel=line.channel,
                    account=f"{line.account_kind} ···{line.account_number[-4:]}",
                    status=line.status,
                    status_label=LINE_STATES.get(line.status, line.status),
                    reason=line.reason_text,
                    bank_reference=line.bank_reference,
                    settled_on=line.settled_on,
                )
                for line in history.attempts
            ],
        )
        for history in await order_service.of_family(db, family_id)
    ]
