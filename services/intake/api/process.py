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

    fecha: date
    canal: process.Channel
    resultado: process.ContactResult
    observaciones: str | None = Field(None, max_length=2000)


class ContactOut(BaseModel):
    id: UUID
    fecha: date
    canal: str
    resultado: str
    observaciones: str | None
    registrado_por: str


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fecha: date
    resultado: Literal["acepta", "rechaza"]
    motivo: str | None = Field(None, max_length=500)


class CommitmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fecha_firma: date
    documento: str = Field(
        min_length=3, max_length=300, description="Referencia al documento escaneado"
    )
    run_firmante: str | None = Field(None, min_length=3, max_length=14)

    @field_validator("run_firmante")
    @classmethod
    def _valid_run(cls, value: str | None) -> str | None:
        return normalize_rut(value) if value else None


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comuna_destino: str = Field(min_length=1, max_length=80)
    fecha: date


class ProcessOut(BaseModel):
    """The family's contact, invitation and commitment facts."""

    id: UUID
    comuna: str
    estado: str
    localizada_el: date | None
    invitada_el: date | None
    acepta: bool | None
    motivo_rechazo: str | None
    compromiso_firmado_el: date | None
    documento_compromiso: str | None
    causal_egreso: str | None


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
        estado=family.status,
        localizada_el=family.located_on,
        invitada_el=family.invited_on,
        acepta=family.invitation_accepted,
        motivo_rechazo=family.invitation_reason,
        compromiso_firmado_el=family.committed_on,
        documento_compromiso=family.commitment_document,
        causal_egreso=family.exit_cause,
    )


@router.post(
    "/contactos", status_code=status.HTTP_201_CREATED, summary="Registrar un intento de contacto"
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
            attempted_on=body.fecha,
            channel=body.canal,
            result=body.resultado,
            notes=body.observaciones,
            actor=actor,
            today=_today(rt),
        )
        return _contact_out(attempt)

    return await _once(db, key, f"contacto:{family_id}", body, ContactOut, apply, response)


def _contact_out(attempt: ContactAttempt) -> ContactOut:
    return ContactOut(
        id=attempt.id,
        fecha=attempt.attempted_on,
        canal=attempt.channel,
        resultado=attempt.result,
        observaciones=attempt.notes,
        registrado_por=attempt.recorded_by,
    )


@router.get("/contactos", summary="Intentos de contacto de la familia")
async def list_contacts(family_id: UUID, db: Session) -> list[ContactOut]:
    await process.load_family(db, family_id, lock=False)
    rows = await db.scalars(
        select(ContactAttempt)
        .where(ContactAttempt.family_id == family_id)
        .order_by(ContactAttempt.attempted_on, ContactAttempt.created_at)
    )
    return [_contact_out(a) for a in rows]


@router.post("/invitacion", summary="Registrar el resultado de la invitación")
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
            invited_on=body.fecha,
            accepted=body.resultado == "acepta",
            reason=body.motivo,
            actor=actor,
            today=_today(rt),
        )
        return await _process_out(db, family_id)

    return await _once(db, key, f"invitacion:{family_id}", body, ProcessOut, apply, response)


@router.post("/compromiso", summary="Registrar la carta de compromiso firmada")
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
            signed_on=body.fecha_firma,
            signer_run=body.run_firmante,
            document_ref=body.documento,
            actor=actor,
            today=_today(rt),
        )
        return await _process_out(db, family_id)

    return await _once(db, key, f"compromiso:{family_id}", body, ProcessOut, apply, response)


@router.post("/traslado", summary="Registrar el traslado de la familia a otra comuna")
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
            to_comuna=body.comuna_destino,
            moved_on=body.fecha,
            actor=actor,
            today=_today(rt),
        )
        return await _process_out(db, family_id)

    return await _once(db, key, f"traslado:{family_id}", body, ProcessOut, apply, response)


@router.get("/proceso", summary="Contacto, invitación, compromiso y egreso de la familia")
async def process_state(family_id: UUID, db: Session) -> ProcessOut:
    return await _process_out(db, family_id)
