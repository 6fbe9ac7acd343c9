"""Who receives a family's transfers, and how."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.payments.payees import PayeeStatus, payee_service
from services.payments.schemas import PayeeChannelIn, PayeeOut
from shared.http.deps import Actor, Session
from shared.rut import mask_rut

router = APIRouter(prefix="/v1/families/{family_id}/payee", tags=["titular y medio de pago"])


def payee_out(status: PayeeStatus) -> PayeeOut:
    payee, hold = status.payee, status.hold
    return PayeeOut(
        run=mask_rut(payee.run),
        channel=payee.channel,
        bank_code=payee.bank_code,
        account_kind=payee.account_kind,
        account=f"···{payee.account_number[-4:]}",
        rejects_in_row=payee.rejects_in_row,
        held=hold is not None,
        hold_reason=hold.reason if hold else None,
    )


@router.get(
    "",
    summary="A quién y cómo se paga a la familia",
    responses={404: {"description": "La familia no tiene representante registrado en pagos"}},
)
async def payee(family_id: UUID, db: Session) -> PayeeOut:
    return payee_out(await payee_service.status(db, family_id))


@router.put(
    "",
    summary="Cambiar el medio de pago (cuenta o pago presencial); rige desde el próximo ciclo",
    responses={404: {"description": "La familia no tiene representante registrado en pagos"}},
)
async def change_payee(
    family_id: UUID, body: PayeeChannelIn, db: Session, actor: Actor = "sistema"
) -> PayeeOut:
    return payee_out(await payee_service.change_channel(db, family_id, body, actor=actor))
