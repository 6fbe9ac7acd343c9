"""Transient or final (ARCHITECTURE.md, consistency rule 6): what a consumer does with an error.

- *final*: a refusal that will not change however often the event comes again — a
  `DomainError` that is not transient (invalid, illegal, not allowed, not found), or an
  envelope or payload that does not validate against its contract. It ends the message
  at once, visibly: in the dead-letter stream.
- *transient*: the world was not ready — a dependency down (`DependencyUnavailable`, which
  is also what a bus request that nobody answers or that times out raises), a timeout, a
  lost NATS or database connection, a database restarting, a serialization failure or a
  deadlock. The event is redelivered with backoff for as long as that lasts.
- *unexpected*: anything else, most likely a bug. Redelivered with backoff a bounded
  number of times, then dead-lettered.
"""

from __future__ import annotations

from enum import StrEnum

import nats.errors
import nats.js.errors
from pydantic import ValidationError
from sqlalchemy import exc as sqlalchemy_errors

from shared.errors import DomainError


class Failure(StrEnum):
    FINAL = "final"
    TRANSIENT = "transitorio"
    UNEXPECTED = "inesperado"


# SQLSTATE classes and codes of a server that is going away, coming back or overloaded,
# and of transactions the server aborted on its own that succeed when run again.
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "57P", "40001", "40P01")

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    TimeoutError,  # asyncio's, the socket's and nats-py's (a subclass) alike
    ConnectionError,
    OSError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.NoServersError,
    nats.errors.NoRespondersError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.FlushTimeoutError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.NoStreamResponseError,
    sqlalchemy_errors.OperationalError,
    sqlalchemy_errors.InterfaceError,
    sqlalchemy_errors.DisconnectionError,
    sqlalchemy_errors.TimeoutError,  # no connection free in the pool in time
)


def classify(error: BaseException) -> Failure:
    """Whether an event whose handler raised `error` may succeed if it comes again."""
    if isinstance(error, DomainError):
        return Failure.TRANSIENT if error.transient else Failure.FINAL
    if isinstance(error, ValidationError):
        return Failure.FINAL
    return Failure.TRANSIENT if _is_transient(error) else Failure.UNEXPECTED


def _is_transient(error: BaseException) -> bool:
    for link in _chain(error):
        if isinstance(link, _TRANSIENT_TYPES):
            return True
        if isinstance(link, sqlalchemy_errors.DBAPIError) and link.connection_invalidated:
            return True
        if _is_asyncpg_transient(link):
            return True
        sqlstate = getattr(link, "sqlstate", None) or getattr(link, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES):
            return True
    return False


def _is_asyncpg_transient(error: BaseException) -> bool:
    import asyncpg

    return isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.OperatorInterventionError  # admin shutdown, crash shutdown, starting up
        | asyncpg.TooManyConnectionsError
        | asyncpg.SerializationError
        | asyncpg.DeadlockDetectedError,
    )


def _chain(error: BaseException) -> list[BaseException]:
    """The error, what SQLAlchemy wrapped (`orig`) and what it was raised `from`, once each.

    An implicit `__context__` is not followed: a bug raised while handling a lost
    connection is still a bug."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        link = pending.pop()
        if link is None or any(link is known for known in seen) or len(seen) > 20:
            continue
        seen.append(link)
        orig = getattr(link, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None]
        pending.append(link.__cause__)
    return seen


def describe(error: BaseException) -> str:
    """One line for people: a domain error's Spanish message, otherwise the exception."""
    if isinstance(error, DomainError):
        return f"{error.code}: {error.message}"
    return f"{type(error).__name__}: {error}"[:2000]
