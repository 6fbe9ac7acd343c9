"""Activities are thin NATS requests; what an answer means for Temporal's retries lives here."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from temporalio.exceptions import ApplicationError

from shared.bus.client import Bus
from shared.errors import DependencyUnavailable, DomainError

ReplyT = TypeVar("ReplyT", bound=BaseModel)


async def ask(
    bus: Bus,
    subject: str,
    request: BaseModel,
    reply: type[ReplyT],
    *,
    timeout: float | None = None,
) -> ReplyT:
    """The service's answer. An unavailable service raises as is (Temporal retries); a
    domain refusal will not change on retry, so it fails the activity for good."""
    try:
        return await bus.request(subject, request, reply, timeout=timeout)
    except DependencyUnavailable:
        raise
    except DomainError as error:
        raise ApplicationError(
            error.message, error.details, type=error.code, non_retryable=True
        ) from error
