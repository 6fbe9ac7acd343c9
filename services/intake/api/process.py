"""Contact attempts, invitation, commitment letter and move (*traslado*) of a family.

Every POST accepts an `Idempotency-Key` header: a phone that resends the same request at a
family's door gets the first answer back instead of recording the visit twice. A key counts
per route and family (`contacto:{family_id}`…): reused elsewhere, it is another request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Protocol, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.api.responses import FACT_REFUSED, NO_FAMILY
from services.intake.families import family_service
from services.intake.models import Family
from services.intake.process import process_service
from services.intake.schemas import (
    CommitmentIn,
    ContactIn,
    ContactOut,
    InvitationIn,
    MoveIn,
    ProcessOut,
)
from shared.db.idempotency import body_hash, remember, replay_or_none
from shared.http.deps import Actor, Runtime, Session

ModelT = TypeVar("ModelT", bound=BaseModel)
BodyT = TypeVar("BodyT", bound=BaseModel, contravariant=True)

router = APIRouter(prefix="/v1/families/{family_id}", tags=["contacto y compromiso"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=120,
        description="Clave única del cliente: un reenvío recibe la primera respuesta",
    ),
]


class Recorder(Protocol[BodyT]):
    """A process service method that records one fact about a family."""

    def __call__(
        self, session: AsyncSession, family_id: UUID, fact: BodyT, /, *, actor: str, today: date
    ) -> Awaitable[Family]: ...


class FactRequest:
    """What recording a fact takes: the session, today, who acts, and the idempotency key."""

    def __init__(
        self,
        db: Session,
        rt: Runtime,
        response: Response,
        actor: Actor = "sistema",
        key: IdempotencyKey = None,
    ) -> None:
        self.db = db
        self.today = rt.today()
        self.response = response
        self.actor = actor
        self.key = key

    async def once(
        self,
        subject: str,
        body: BaseModel,
        model: type[ModelT],
        apply: Callable[[], Awaitable[ModelT]],
    ) -> ModelT:
        """`apply`'s answer, or the one given to the first request with this key."""
        if self.key is None:
            return await apply()
        digest = body_hash(body)
        previous = await replay_or_none(self.db, self.key, subject, digest)
        if previous is not None:
            self.response.headers["Idempotent-Replayed"] = "true"
            return model.model_validate(previous)
        result = await apply()
        await remember(self.db, self.key, subject, digest, result)
        return result

    async def record(
        self, subject: str, family_id: UUID, body: BodyT, record: Recorder[BodyT]
    ) -> ProcessOut:
        async def apply() -> ProcessOut:
            family = await record(self.db, family_id, body, actor=self.actor, today=self.today)
            return ProcessOut.model_validate(family)

        return await self.once(f"{subject}:{family_id}", body, ProcessOut, apply)


Fact = Annotated[FactRequest, Depends()]


@router.post(
    "/contacts",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar un intento de contacto",
    responses=FACT_REFUSED,
)
async def add_contact(family_id: UUID, body: ContactIn, fact: Fact) -> ContactOut:
    async def apply() -> ContactOut:
        attempt = await process_service.record_contact(
            fact.db, family_id, body, actor=fact.actor, today=fact.today
        )
        return ContactOut.model_validate(attempt)

    return await fact.once(f"contacto:{family_id}", body, ContactOut, apply)


@router.get("/contacts", summary="Intentos de contacto de la familia", responses=NO_FAMILY)
async def list_contacts(family_id: UUID, db: Session) -> list[ContactOut]:
    return [ContactOut.model_validate(a) for a in await process_service.contacts(db, family_id)]


@router.post(
    "/invitation", summary="Registrar el resultado de la invitación", responses=FACT_REFUSED
)
async def invite(family_id: UUID, body: InvitationIn, fact: Fact) -> ProcessOut:
    return await fact.record("invitacion", family_id, body, process_service.record_invitation)


@router.post(
    "/commitment", summary="Registrar la carta de compromiso firmada", responses=FACT_REFUSED
)
async def commit(family_id: UUID, body: CommitmentIn, fact: Fact) -> ProcessOut:
    return await fact.record("compromiso", family_id, body, process_service.record_commitment)


@router.post(
    "/move", summary="Registrar el traslado de la familia a otra comuna", responses=FACT_REFUSED
)
async def move(family_id: UUID, body: MoveIn, fact: Fact) -> ProcessOut:
    return await fact.record("traslado", family_id, body, process_service.record_move)


@router.get(
    "/process",
    summary="Contacto, invitación, compromiso y egreso de la familia",
    responses=NO_FAMILY,
)
async def process_state(family_id: UUID, db: Session) -> ProcessOut:
    return ProcessOut.model_validate(await family_service.get(db, family_id))
