"""Contact, invitation, commitment, move and closure of a family (DOMAIN.md §2).

Intake records the facts and announces them; the family's workflow turns them into
phases and deadlines. The rules here are the ones a fact must meet to be true at all:
a family is invited only once located, commits only once it accepted, nothing changes
after it left the programme.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.events import audit_family, record_fact
from services.intake.families import family_service
from services.intake.models import ContactAttempt, Family
from services.intake.repository import families as repository
from services.intake.repository import process as contacts
from services.intake.representative import ADULT_AGE, age_on
from services.intake.schemas import CommitmentIn, ContactIn, InvitationIn, MoveIn
from shared.contracts.intake import (
    CloseFamily,
    FamilyClosed,
    FamilyCommitted,
    FamilyContacted,
    FamilyInvited,
    FamilyMoved,
)
from shared.errors import Conflict, IllegalTransition, ValidationFailed


def _check_date(day: date, family: Family, today: date, what: str) -> None:
    if day > today:
        raise ValidationFailed(f"La fecha de {what} no puede ser futura")
    if day < family.referred_on:
        raise ValidationFailed(f"La fecha de {what} es anterior a la derivación de la familia")


class ProcessService:
    async def contacts(self, session: AsyncSession, family_id: UUID) -> Sequence[ContactAttempt]:
        await family_service.get(session, family_id)
        return await contacts.contacts_of(session, family_id)

    async def record_contact(
        self,
        session: AsyncSession,
        family_id: UUID,
        contact: ContactIn,
        *,
        actor: str,
        today: date,
    ) -> ContactAttempt:
        family = await self._changeable(session, family_id, contact.attempted_on, today, "contacto")
        if family.invited_on is not None:
            raise IllegalTransition("La familia ya fue invitada: el contacto inicial terminó")
        attempt = ContactAttempt(
            family_id=family.id,
            attempted_on=contact.attempted_on,
            channel=contact.channel,
            result=contact.result,
            notes=contact.notes,
            recorded_by=actor,
        )
        session.add(attempt)
        await session.flush()
        number = await contacts.count_contacts(session, family.id)
        located = contact.result == "localizada"
        if located and family.located_on is None:
            family.located_on = contact.attempted_on
        await record_fact(
            session,
            FamilyContacted(
                family_id=family.id,
                attempt_number=number or 1,
                attempted_on=contact.attempted_on,
                channel=contact.channel,
                located=located,
            ),
            actor=actor,
            action="familia.contacto_registrado",
            canal=contact.channel,
            resultado=contact.result,
        )
        return attempt

    async def record_invitation(
        self,
        session: AsyncSession,
        family_id: UUID,
        invitation: InvitationIn,
        *,
        actor: str,
        today: date,
    ) -> Family:
        family = await self._changeable(
            session, family_id, invitation.invited_on, today, "invitación"
        )
        accepted = invitation.result == "acepta"
        if family.located_on is None:
            raise IllegalTransition("Primero registre un contacto en que la familia fue localizada")
        if family.invited_on is not None:
            raise Conflict("La invitación de esta familia ya está registrada")
        if not accepted and not invitation.reason:
            raise ValidationFailed("Indique el motivo del rechazo")
        family.invited_on = invitation.invited_on
        family.invitation_accepted = accepted
        family.invitation_reason = invitation.reason
        await record_fact(
            session,
            FamilyInvited(
                family_id=family.id,
                invited_on=invitation.invited_on,
                accepted=accepted,
                reason=invitation.reason,
            ),
            actor=actor,
            action="familia.invitacion_registrada",
            acepta=accepted,
        )
        return family

    async def record_commitment(
        self,
        session: AsyncSession,
        family_id: UUID,
        commitment: CommitmentIn,
        *,
        actor: str,
        today: date,
    ) -> Family:
        signed_on = commitment.signed_on
        family = await self._changeable(session, family_id, signed_on, today, "firma")
        if family.invitation_accepted is not True:
            raise IllegalTransition(
                "La carta de compromiso se firma después de aceptar la invitación"
            )
        if family.committed_on is not None:
            raise Conflict("La carta de compromiso de esta familia ya está registrada")
        run = commitment.signer_run or family.representative_run
        signer = next((m for m in family.members if m.run == run), None)
        if signer is None:
            raise ValidationFailed("Quien firma debe ser integrante de la familia")
        age = age_on(signer.birth_date, signed_on)
        if age is not None and age < ADULT_AGE:
            raise ValidationFailed("Quien firma la carta de compromiso debe ser mayor de edad")
        if signer.run != family.representative_run:
            raise ValidationFailed(
                "Firma la representante de la familia; si es otra persona, designe antes al "
                "nuevo representante con su justificación"
            )
        if signed_on < (family.invited_on or signed_on):
            raise ValidationFailed("La firma no puede ser anterior a la invitación")
        family.committed_on = signed_on
        family.commitment_member_id = signer.id
        family.commitment_document = commitment.document
        await record_fact(
            session,
            FamilyCommitted(
                family_id=family.id,
                signed_on=signed_on,
                representative_member_id=signer.id,
                document_ref=commitment.document,
            ),
            actor=actor,
            action="familia.compromiso_firmado",
            documento=commitment.document,
        )
        return family

    async def record_move(
        self,
        session: AsyncSession,
        family_id: UUID,
        move: MoveIn,
        *,
        actor: str,
        today: date,
    ) -> Family:
        family = await self._changeable(session, family_id, move.moved_on, today, "traslado")
        to_comuna = " ".join(move.to_comuna.split())
        if to_comuna.casefold() == family.comuna.casefold():
            raise ValidationFailed("La comuna de destino es la misma de la familia")
        clash = await repository.find_by_code(
            session, to_comuna, family.cohort_year, family.family_code
        )
        if clash is not None:
            raise Conflict("La comuna de destino ya tiene una familia con ese identificador")
        from_comuna = family.comuna
        family.comuna = to_comuna
        family.apoyo_familiar_id = None  # the receiving unit assigns its own professional
        await repository.end_assignment(session, family.id)
        await record_fact(
            session,
            FamilyMoved(
                family_id=family.id,
                from_comuna=from_comuna,
                to_comuna=to_comuna,
                moved_on=move.moved_on,
            ),
            actor=actor,
            action="familia.trasladada",
            desde=from_comuna,
            hacia=to_comuna,
        )
        return family

    async def close(self, session: AsyncSession, command: CloseFamily) -> FamilyClosed:
        """The workflow's *egreso*. Applied once per idempotency key (see handlers)."""
        family = await family_service.get(session, command.family_id, for_update=True)
        if family.status == "closed":
            if family.exit_cause == command.exit_cause:
                return FamilyClosed(
                    family_id=family.id,
                    exit_cause=command.exit_cause,
                    exited_on=family.exited_on or command.exited_on,
                )
            raise IllegalTransition(f"La familia ya egresó por {family.exit_cause}")
        family.status = "closed"
        family.exit_cause = command.exit_cause
        family.exited_on = command.exited_on
        await repository.end_assignment(session, family.id)
        await audit_family(
            session,
            family.id,
            actor="flujo-familia",
            action="familia.egresada",
            causal=command.exit_cause,
        )
        return FamilyClosed(
            family_id=family.id, exit_cause=command.exit_cause, exited_on=command.exited_on
        )

    async def _changeable(
        self, session: AsyncSession, family_id: UUID, day: date, today: date, what: str
    ) -> Family:
        """The family, locked, if it still admits a fact of `what` dated `day`."""
        family = await family_service.get(session, family_id, for_update=True)
        if family.status != "active":
            raise IllegalTransition(
                f"La familia egresó del programa ({family.exit_cause}): no admite cambios"
            )
        _check_date(day, family, today, what)
        return family


process_service = ProcessService()
