"""Contact, invitation, commitment, move and closure of a family (DOMAIN.md §2).

Intake records the facts and announces them; the family's workflow turns them into
phases and deadlines. The rules here are the ones a fact must meet to be true at all:
a family is invited only once located, commits only once it accepted, nothing changes
after it left the programme.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.importer import PRODUCER
from services.intake.models import Assignment, ContactAttempt, Family
from services.intake.representative import ADULT_AGE, age_on
from shared.contracts.intake import (
    CloseFamily,
    ExitCause,
    FamilyClosed,
    FamilyCommitted,
    FamilyContacted,
    FamilyFacts,
    FamilyInvited,
    FamilyMoved,
)
from shared.db.audit import record_audit
from shared.db.outbox import add_event
from shared.errors import Conflict, IllegalTransition, NotFound, ValidationFailed

Channel = Literal["visita", "telefono", "otro"]
ContactResult = Literal["localizada", "no_localizada"]


async def load_family(session: AsyncSession, family_id: UUID, *, lock: bool = True) -> Family:
    query = select(Family).where(Family.id == family_id)
    family = await session.scalar(query.with_for_update() if lock else query)
    if family is None:
        raise NotFound("No existe una familia con ese identificador")
    return family


def _active(family: Family) -> None:
    if family.status != "active":
        raise IllegalTransition(
            f"La familia egresó del programa ({family.exit_cause}): no admite cambios"
        )


def _check_date(day: date, family: Family, today: date, what: str) -> None:
    if day > today:
        raise ValidationFailed(f"La fecha de {what} no puede ser futura")
    if day < family.referred_on:
        raise ValidationFailed(f"La fecha de {what} es anterior a la derivación de la familia")


async def record_contact(
    session: AsyncSession,
    family_id: UUID,
    *,
    attempted_on: date,
    channel: Channel,
    result: ContactResult,
    notes: str | None,
    actor: str,
    today: date,
) -> ContactAttempt:
    family = await load_family(session, family_id)
    _active(family)
    _check_date(attempted_on, family, today, "contacto")
    if family.invited_on is not None:
        raise IllegalTransition("La familia ya fue invitada: el contacto inicial terminó")
    attempt = ContactAttempt(
        family_id=family.id,
        attempted_on=attempted_on,
        channel=channel,
        result=result,
        notes=notes,
        recorded_by=actor,
    )
    session.add(attempt)
    await session.flush()
    number = await session.scalar(
        select(func.count())
        .select_from(ContactAttempt)
        .where(ContactAttempt.family_id == family.id)
    )
    if result == "localizada" and family.located_on is None:
        family.located_on = attempted_on
    await add_event(
        session,
        FamilyContacted(
            family_id=family.id,
            attempt_number=int(number or 1),
            attempted_on=attempted_on,
            channel=channel,
            located=result == "localizada",
        ),
        producer=PRODUCER,
        actor=actor,
        family_id=family.id,
    )
    await record_audit(
        session,
        actor=actor,
        action="familia.contacto_registrado",
        entity="family",
        entity_id=family.id,
        canal=channel,
        resultado=result,
    )
    return attempt


async def record_invitation(
    session: AsyncSession,
    family_id: UUID,
    *,
    invited_on: date,
    accepted: bool,
    reason: str | None,
    actor: str,
    today: date,
) -> Family:
    family = await load_family(session, family_id)
    _active(family)
    _check_date(invited_on, family, today, "invitación")
    if family.located_on is None:
        raise IllegalTransition("Primero registre un contacto en que la familia fue localizada")
    if family.invited_on is not None:
        raise Conflict("La invitación de esta familia ya está registrada")
    if not accepted and not reason:
        raise ValidationFailed("Indique el motivo del rechazo")
    family.invited_on = invited_on
    family.invitation_accepted = accepted
    family.invitation_reason = reason
    await add_event(
        session,
        FamilyInvited(family_id=family.id, invited_on=invited_on, accepted=accepted, reason=reason),
        producer=PRODUCER,
        actor=actor,
        family_id=family.id,
    )
    await record_audit(
        session,
        actor=actor,
        action="familia.invitacion_registrada",
        entity="family",
        entity_id=family.id,
        acepta=accepted,
    )
    return family


async def record_commitment(
    session: AsyncSession,
    family_id: UUID,
    *,
    signed_on: date,
    signer_run: str | None,
    document_ref: str,
    actor: str,
    today: date,
) -> Family:
    family = await load_family(session, family_id)
    _active(family)
    _check_date(signed_on, family, today, "firma")
    if family.invitation_accepted is not True:
        raise IllegalTransition("La carta de compromiso se firma después de aceptar la invitación")
    if family.committed_on is not None:
        raise Conflict("La carta de compromiso de esta familia ya está registrada")
    run = signer_run or family.representative_run
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
    family.commitment_document = document_ref
    await add_event(
        session,
        FamilyCommitted(
            family_id=family.id,
            signed_on=signed_on,
            representative_member_id=signer.id,
            document_ref=document_ref,
        ),
        producer=PRODUCER,
        actor=actor,
        family_id=family.id,
    )
    await record_audit(
        session,
        actor=actor,
        action="familia.compromiso_firmado",
        entity="family",
        entity_id=family.id,
        documento=document_ref,
    )
    return family


async def record_move(
    session: AsyncSession,
    family_id: UUID,
    *,
    to_comuna: str,
    moved_on: date,
    actor: str,
    today: date,
) -> Family:
    family = await load_family(session, family_id)
    _active(family)
    _check_date(moved_on, family, today, "traslado")
    to_comuna = " ".join(to_comuna.split())
    if to_comuna.casefold() == family.comuna.casefold():
        raise ValidationFailed("La comuna de destino es la misma de la familia")
    clash = await session.scalar(
        select(Family.id).where(
            Family.comuna == to_comuna,
            Family.cohort_year == family.cohort_year,
            Family.family_code == family.family_code,
        )
    )
    if clash is not None:
        raise Conflict("La comuna de destino ya tiene una familia con ese identificador")
    from_comuna = family.comuna
    family.comuna = to_comuna
    family.apoyo_familiar_id = None  # the receiving unit assigns its own professional
    await session.execute(
        update(Assignment)
        .where(Assignment.family_id == family.id, Assignment.ended_at.is_(None))
        .values(ended_at=func.now())
    )
    await add_event(
        session,
        FamilyMoved(
            family_id=family.id, from_comuna=from_comuna, to_comuna=to_comuna, moved_on=moved_on
        ),
        producer=PRODUCER,
        actor=actor,
        family_id=family.id,
    )
    await record_audit(
        session,
        actor=actor,
        action="familia.trasladada",
        entity="family",
        entity_id=family.id,
        desde=from_comuna,
        hacia=to_comuna,
    )
    return family


def facts(family: Family) -> FamilyFacts:
    representative = next(
        (m.id for m in family.members if m.run == family.representative_run), None
    )
    exit_cause: ExitCause | None = family.exit_cause  # type: ignore[assignment]
    return FamilyFacts(
        family_id=family.id,
        family_code=family.family_code,
        comuna=family.comuna,
        cohort_year=family.cohort_year,
        status="closed" if family.status == "closed" else "active",
        member_count=len(family.members),
        representative_member_id=representative,
        apoyo_familiar_id=family.apoyo_familiar_id,
        located_on=family.located_on,
        invitation_accepted=family.invitation_accepted,
        committed_on=family.committed_on,
        exit_cause=exit_cause,
    )


async def close_family(session: AsyncSession, command: CloseFamily) -> FamilyClosed:
    """The workflow's *egreso*. Applied once per idempotency key (see handlers)."""
    family = await load_family(session, command.family_id)
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
    await session.execute(
        update(Assignment)
        .where(Assignment.family_id == family.id, Assignment.ended_at.is_(None))
        .values(ended_at=func.now())
    )
    await record_audit(
        session,
        actor="flujo-familia",
        action="familia.egresada",
        entity="family",
        entity_id=family.id,
        causal=command.exit_cause,
    )
    return FamilyClosed(
        family_id=family.id, exit_cause=command.exit_cause, exited_on=command.exited_on
    )
