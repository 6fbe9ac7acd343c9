"""Who is paid and how: the payee follows intake's representative; staff set the channel.

Events carry ids only, so when the representative is set (carta de compromiso) or changes,
payments reads the person's RUT and name from intake over HTTP and keeps its own copy —
the bank file needs them, and the payment must not depend on intake being up at cut-off.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import Payee, PaymentHold, PaymentOrder
from shared.db.audit import record_audit
from shared.errors import DependencyUnavailable, NotFound

CUENTA_RUT_BANK = "012"  # BancoEstado


def cuenta_rut(run: str) -> dict[str, str]:
    """The Cuenta RUT's number is the RUT without its check digit."""
    return {
        "channel": "transferencia",
        "bank_code": CUENTA_RUT_BANK,
        "account_kind": "cuenta_rut",
        "account_number": run[:-1],
    }


async def fetch_representative(
    http: httpx.AsyncClient, intake_url: str, family_id: UUID
) -> dict[str, Any] | None:
    try:
        response = await http.get(f"{intake_url}/v1/families/{family_id}")
    except httpx.HTTPError as exc:
        raise DependencyUnavailable("No se pudo consultar al servicio de ingreso") from exc
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise DependencyUnavailable(f"El servicio de ingreso respondió {response.status_code}")
    representative: dict[str, Any] | None = response.json().get("representante")
    return representative


async def set_representative(
    session: AsyncSession, family_id: UUID, member_id: UUID, run: str, name: str
) -> None:
    """Upsert the payee. A new person gets their own Cuenta RUT: an account registered for
    the previous representative belongs to someone else and must not be paid."""
    values = {"family_id": family_id, "member_id": member_id, "run": run, "name": name}
    statement = insert(Payee).values(**values, **cuenta_rut(run), rejects_in_row=0)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Payee.family_id],
            set_={
                "member_id": member_id,
                "run": run,
                "name": name,
                **cuenta_rut(run),
                "rejects_in_row": 0,
            },
            where=Payee.run != run,
        )
    )


async def set_channel(
    session: AsyncSession,
    family_id: UUID,
    *,
    channel: str,
    bank_code: str | None,
    account_kind: str | None,
    account_number: str | None,
    actor: str,
    reason: str,
) -> Payee:
    payee = await session.get(Payee, family_id, with_for_update=True)
    if payee is None:
        raise NotFound("La familia no tiene representante registrado en pagos todavía")
    if channel == "presencial":
        payee.channel = "presencial"
    elif account_kind == "cuenta_rut" or account_number is None:
        for key, value in cuenta_rut(payee.run).items():
            setattr(payee, key, value)
    else:
        payee.channel = "transferencia"
        payee.bank_code = bank_code or CUENTA_RUT_BANK
        payee.account_kind = account_kind or "cuenta_vista"
        payee.account_number = account_number
    payee.rejects_in_row = 0
    await record_audit(
        session,
        actor=actor,
        action="medio_de_pago_cambiado",
        entity="familia",
        entity_id=family_id,
        canal=payee.channel,
        tipo_cuenta=payee.account_kind,
        motivo=reason,
    )
    return payee


async def set_hold(
    session: AsyncSession, family_id: UUID, *, held: bool, reason: str, actor: str
) -> int:
    """Suspend (or resume) a family's payments: orders are held, never dropped.

    Orders already with the bank are not recalled. Returns how many orders changed state.
    """
    if held:
        await session.execute(
            insert(PaymentHold)
            .values(family_id=family_id, reason=reason, actor=actor)
            .on_conflict_do_update(
                index_elements=[PaymentHold.family_id], set_={"reason": reason, "actor": actor}
            )
        )
    else:
        await session.execute(delete(PaymentHold).where(PaymentHold.family_id == family_id))
    source, target = ("pending", "held") if held else ("held", "pending")
    changed = await session.execute(
        update(PaymentOrder)
        .where(PaymentOrder.family_id == family_id, PaymentOrder.state == source)
        .values(state=target)
        .returning(PaymentOrder.id)
    )
    count = len(changed.all())
    await record_audit(
        session,
        actor=actor,
        action="pagos_retenidos" if held else "pagos_liberados",
        entity="familia",
        entity_id=family_id,
        motivo=reason,
        ordenes=count,
    )
    return count
