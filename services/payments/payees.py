"""Who is paid and how: the payee follows intake's representative; staff set the channel.

Events carry ids only, so when the representative is set (carta de compromiso) or changes,
payments asks intake for the person's RUT and name (`intake.qry.v1.family.representative`,
request/reply on the bus) and keeps its own copy — the bank file needs them, and the
payment must not depend on intake being up at cut-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.holds import hold_service
from services.payments.models import Payee, PaymentHold
from services.payments.repository import payees as repository
from services.payments.schemas import PayeeChannelIn
from shared.bus.client import Bus
from shared.contracts import subjects
from shared.contracts.intake import FamilyRepresentative, GetRepresentative, RepresentativeDetails
from shared.db.audit import record_audit
from shared.errors import NotFound, ValidationFailed

CUENTA_RUT_BANK = "012"  # BancoEstado
NO_PAYEE = "La familia no tiene representante registrado en pagos todavía"


def cuenta_rut(run: str) -> dict[str, str]:
    """The Cuenta RUT's number is the RUT without its check digit."""
    return {
        "channel": "transferencia",
        "bank_code": CUENTA_RUT_BANK,
        "account_kind": "cuenta_rut",
        "account_number": run[:-1],
    }


@dataclass(frozen=True)
class PayeeStatus:
    """The payee and, when the family's payments are suspended, the hold."""

    payee: Payee
    hold: PaymentHold | None


class PayeeService:
    async def representative_in_intake(
        self, bus: Bus, family_id: UUID
    ) -> RepresentativeDetails | None:
        """Intake's representative of the family now, or None (no representative, or a
        family intake does not know). Intake down raises DependencyUnavailable."""
        try:
            answer = await bus.request(
                subjects.INTAKE_FAMILY_REPRESENTATIVE,
                GetRepresentative(family_id=family_id),
                FamilyRepresentative,
            )
        except NotFound:
            return None
        return answer.representative

    async def status(self, session: AsyncSession, family_id: UUID) -> PayeeStatus:
        payee = await repository.get(session, family_id)
        if payee is None:
            raise NotFound(NO_PAYEE)
        return PayeeStatus(payee, await hold_service.of_family(session, family_id))

    async def set_representative(
        self, session: AsyncSession, family_id: UUID, *, member_id: UUID, run: str, name: str
    ) -> None:
        """Upsert the payee. A new person gets their own Cuenta RUT: an account registered
        for the previous representative belongs to someone else and must not be paid."""
        await repository.upsert_person(
            session,
            {
                "family_id": family_id,
                "member_id": member_id,
                "run": run,
                "name": name,
                **cuenta_rut(run),
                "rejects_in_row": 0,
            },
        )

    async def change_channel(
        self, session: AsyncSession, family_id: UUID, change: PayeeChannelIn, *, actor: str
    ) -> PayeeStatus:
        """Another account, back to the Cuenta RUT, or in-person payment (audited); it
        applies from the next cycle, whose batches copy the payee at cut-off."""
        own_account = change.channel == "transferencia" and change.account_kind not in (
            None,
            "cuenta_rut",
        )
        if own_account and (change.account_number is None or change.bank_code is None):
            raise ValidationFailed("Para una cuenta bancaria indique banco y número de cuenta")
        payee = await repository.get(session, family_id, lock=True)
        if payee is None:
            raise NotFound(NO_PAYEE)
        if change.channel == "presencial":
            payee.channel = "presencial"
        elif change.account_kind == "cuenta_rut" or change.account_number is None:
            for key, value in cuenta_rut(payee.run).items():
                setattr(payee, key, value)
        else:
            payee.channel = "transferencia"
            payee.bank_code = change.bank_code or CUENTA_RUT_BANK
            payee.account_kind = change.account_kind or "cuenta_vista"
            payee.account_number = change.account_number
        payee.rejects_in_row = 0
        await record_audit(
            session,
            actor=actor,
            action="medio_de_pago_cambiado",
            entity="familia",
            entity_id=family_id,
            canal=payee.channel,
            tipo_cuenta=payee.account_kind,
            motivo=change.reason,
        )
        return PayeeStatus(payee, await hold_service.of_family(session, family_id))


payee_service = PayeeService()
