"""The event envelope every bus event travels in, and the command reply shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.errors import DomainError, error_from_code, wire_code


class Contract(BaseModel):
    """Base of every message: frozen, strict about unknown fields, versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class EventData(Contract):
    """Payload of one kind of event; `subject` names it on the bus."""

    subject: ClassVar[str]
    schema_version: ClassVar[int] = 1


class CommandRequest(Contract):
    """A command is request/reply on core NATS and carries an idempotency key."""

    subject: ClassVar[str]
    idempotency_key: str = Field(min_length=1, max_length=200)


PayloadT = TypeVar("PayloadT", bound=BaseModel)


class Envelope(Contract):
    event_id: UUID
    subject: str
    schema_version: int
    occurred_at: AwareDatetime
    producer: str
    actor: str | None = None
    family_id: UUID | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: EventData,
        *,
        producer: str,
        actor: str | None = None,
        family_id: UUID | None = None,
        event_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        return cls(
            event_id=event_id or uuid4(),
            subject=payload.subject,
            schema_version=payload.schema_version,
            occurred_at=occurred_at or datetime.now(UTC),
            producer=producer,
            actor=actor,
            family_id=family_id,
            data=payload.model_dump(mode="json"),
        )

    def payload(self, model: type[PayloadT]) -> PayloadT:
        return model.model_validate(self.data)


class ErrorBody(Contract):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class Reply(Contract):
    """Answer to a command or query: either `data` or `error`, never both."""

    ok: bool
    data: dict[str, Any] | None = None
    error: ErrorBody | None = None

    @classmethod
    def success(cls, data: BaseModel) -> Reply:
        return cls(ok=True, data=data.model_dump(mode="json"))

    @classmethod
    def failure(cls, error: DomainError) -> Reply:
        return cls(
            ok=False,
            error=ErrorBody(code=wire_code(error), message=error.message, details=error.details),
        )

    def unwrap(self, model: type[PayloadT]) -> PayloadT:
        if not self.ok or self.data is None:
            body = self.error or ErrorBody(code="error_de_dominio", message="Respuesta vacía")
            raise error_from_code(body.code, body.message, body.details)
        return model.model_validate(self.data)
