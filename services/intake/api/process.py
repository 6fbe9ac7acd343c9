"""Contact attempts, invitation, commitment letter and move (*traslado*) of a family.

Every POST accepts an `Idempotency-Key` header: a phone that resends the same request at a
family's door gets the first answer back instead of recording the visit twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from services.intake import process
from services.intake.api.responses import FACT_REFUSED, NO_FAMILY
from services.intake.models import ContactAttempt
from shared.db.idempotency import body_hash, remember, replay_or_none
from shared.http.deps import Actor, Runtime, Session
from shared.rut import normalize_rut

ModelT = TypeVar("ModelT", bound=BaseModel)

router = APIRouter(prefix="/v1/families/{family_id}", tags=["contacto y compromiso"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=120,
        description="Clave única del cliente: un reenvío recibe la primera respuesta",
    ),
]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempted_on: date
    channel: process.Channel
    result: process.ContactResult
    notes: str | None = Field(None, max_length=2000)


class ContactOut(BaseModel):
    id: UUID
    attempted_on: date
    channel: str
    result: str
    notes: str | None
    recorded_by: str


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invited_on: date
    result: Literal["acepta", "rechaza"]
    reason: str | None = Field(None, max_length=500)


class CommitmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed_on: date
    document: str = Field(
        min_length=3, max_length=300, description="Referencia al documento escaneado"
    )
    signer_run: str | None = Field(None, min_length=3, max_length=14)

    @field_validator("signer_run")
    @classmethod
    def _valid_run(cls, value: str | None) -> str | None:
        return normalize_rut(value) if value else None


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_comuna: str = Field(min_length=1, max_length=80)
    moved_on: date


class ProcessOut(BaseModel):
    """The family's contact, invitation and commitment facts."""

    id: UUID
    comuna: str
    status: str
    located_on: date | None
    invited_on: date | None
    accepted: bool | None
    rejection_reason: str | None
    committed_on: date | None
    commitment_document: str | None
    exit_cause: str | None


def _today(rt: Runtime) -> date:
    return rt.today()


async def _once(
    db: Session,
    key: str | None,
    subject: str,
    body: BaseModel,
    model: type[ModelT],
    apply: Callable[[], Awaitable[ModelT]],
    response: Response,
) -> ModelT:
    if key is None:
        return await apply()
    digest = body_hash(body)
    previous = await replay_or_none(db, key, subject, digest)
    if previous is not None:
        response.headers["Idempotent-Replayed"] = "true"
        return model.model_validate(previous)
    result = await apply()
    await remember(db, key, subject, digest, result)
    return result


async def _process_out(db: Session, family_id: UUID) -> ProcessOut:
    family = await process.load_family(db, family_id, lock=False)
    return ProcessOut(
        id=family.id,
        comuna=family.comuna,
        status=family.status,
        located_on=family.located_on,
        invited_on=family.invited_on,
        accepted=family.invitation_accepted,
        rejection_reason=family.invitation_reason,
        committed_on=family.committed_on,
        commitment_document=family.commitment_document,
        exit_cause=family.exit_cause,
    )


@router.post(
    "/contacts",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar un intento de contacto",
    responses=FACT_REFUSED,
)
async def add_contact(
    family_id: UUID,
    body: ContactIn,
    db: Session,
    rt: Runtime,
    response: Response,
    actor: Actor = "sistema",
    key: IdempotencyKey = None,
) -> ContactOut:
    async def apply() -> ContactOut:
        attempt = await process.record_contact(
            db,
            family_id,
            attempted_on=body.attempted_on,
            channel=body.channel,
            result=body.result,
            notes=body.notes,
            actor=actor,
            today=_today(rt),
        )
        return _contact_out(attempt)

    return await _once(db, key, f"contacto:{family_id}", body, ContactOut, apply, response)


def _contact_out(attempt: ContactAttempt) -> ContactOut:
    return ContactOut(
        id=attempt.id,
        attempted_on=attempt.attempted_on,
        channel=attempt.channel,
        result=attempt.result,
        notes=attempt.notes,
        recorded_by=attempt.recorded_by,
    )


@router.get("/contacts", summary="Intentos de contacto de la familia", responses=NO_FAMILY)
async def list_contacts(family_id: UUID, db: Session) -> list[ContactOut]:
    await process.load_family(db, family_id, lock=False)
    rows = await db.scalars(
        select(ContactAttempt)
        .where(ContactAttempt.family_id == family_id)
        .order_by(ContactAttempt.attempted_on, ContactAttempt.created_at)
    )
    return [_contact_out(a) for a in rows]


@router.post(
    "/invitation", summary="Registrar el resultado de la invitación", responses=FACT_REFUSED
)
async def invite(
    family_id: UUID,
    body: InvitationIn,
    db: Session,
    rt: Runtime,
    response: Response,
    actor: Actor = "sistema",
    key: IdempotencyKey = None,
) -> ProcessOut:
    async def apply() -> ProcessOut:
        await process.record_invitation(
            db,
            family_id,
            invited_on=body.invited_on,
            accepted=body.result == "acepta",
            reason=body.reason,
            actor=actor,
            today=_today(rt),
        )
        return await _process_out(db, family_id)

    return await _once(db, key, f"invitacion:{family_id}", body, ProcessOut, apply, response)


@router.post(
    "/commitment", summary="Registrar la carta de compromiso firmada", responses=FACT_REFUSED
)
async def commit(
    family_id: UUID,
    body: CommitmentIn,
    db: Session,
    rt: Runtime,
    response: Response,
    actor: Actor = "sistema",
    key: IdempotencyKey = None,
) -> ProcessOut:
    async def apply() -> ProcessOut:
        await process.record_commitment(
            db,
            family_id,
            signed_on=body.signed_on,
            signer_run=body.signer_run,
            document_ref=body.document,
            actor=actor,
            today=_today(rt),
        )
        return await _process_out(db, family_id)

    return await _once(db, key, f"compromiso:{family_id}", body, ProcessOut, apply, response)


@router.post(
    "/move", summary="Registrar el traslado de la familia a otra comuna", responses=FACT_REFUSED
)
async def move(
    family_id: UUID,
    body: MoveIn,
    db: Session,
    rt: Runtime,
    response: Response,
    actor: Actor = "sistema",
    key: IdempotencyKey = None,
) -> ProcessOut:
    async def apply() -> ProcessOut:
        await process.record_move(
            db,
            family_id,
            to_comuna=body.to_comuna,
            moved_on=body.moved_on,
            actor=actor,
            today=_today(rt),
        )
        return await _process_out(db, family_id)

    return await _once(db, key, f"traslado:{family_id}", body, ProcessOut, apply, response)


@router.get(
    "/process",
    summary="Contacto, invitación, compromiso y egreso de la familia",
    responses=NO_FAMILY,
)
async def process_state(family_id: UUID, db: Session) -> ProcessOut:
    return await _process_out(db, family_id)
