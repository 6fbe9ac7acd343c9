"""Which errors a consumer retries, which end a message, which it retries a bounded time."""

from __future__ import annotations

import asyncpg
import nats.errors
import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa

from shared.bus.failures import Failure, classify, describe
from shared.errors import Conflict, DependencyUnavailable, IllegalTransition, NotFound


class Sample(BaseModel):
    family_id: int


def validation_error() -> ValidationError:
    try:
        Sample.model_validate({})
    except ValidationError as exc:
        return exc
    raise AssertionError("expected a validation error")


class AdaptedError(Exception):
    """What SQLAlchemy's asyncpg dialect wraps a driver error in: it carries the sqlstate."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def wrapped(driver_error: Exception, kind: type[sa.DBAPIError] = sa.DBAPIError) -> Exception:
    error = kind("SELECT 1", {}, driver_error)
    error.__cause__ = driver_error
    return error


def raised_while_handling(cause: Exception) -> Exception:
    try:
        try:
            raise cause
        except Exception:
            raise KeyError("family_code") from None
    except KeyError as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (DependencyUnavailable("Nadie atiende intake.qry.v1.family.representative"), "transitorio"),
        (NotFound("No existe la familia"), "final"),
        (IllegalTransition("La familia ya egresó"), "final"),
        (Conflict("Ya existe"), "final"),
        (validation_error(), "final"),
        (KeyError("family_code"), "inesperado"),
        (RuntimeError("bug"), "inesperado"),
        (TimeoutError(), "transitorio"),
        (ConnectionRefusedError(111, "Connection refused"), "transitorio"),
        (nats.errors.TimeoutError(), "transitorio"),
        (nats.errors.ConnectionClosedError(), "transitorio"),
        (wrapped(Exception("closed"), sa.OperationalError), "transitorio"),
        (wrapped(Exception("closed"), sa.InterfaceError), "transitorio"),
        (wrapped(asyncpg.AdminShutdownError("terminating connection")), "transitorio"),
        (
            wrapped(asyncpg.CannotConnectNowError("the database system is starting up")),
            "transitorio",
        ),
        (wrapped(asyncpg.ConnectionDoesNotExistError("connection was closed")), "transitorio"),
        (wrapped(AdaptedError("57P01")), "transitorio"),
        (wrapped(AdaptedError("08006")), "transitorio"),
        (wrapped(AdaptedError("40001")), "transitorio"),
        (wrapped(AdaptedError("23505"), sa.IntegrityError), "inesperado"),
        (sa.TimeoutError("QueuePool limit reached"), "transitorio"),
        (raised_while_handling(ConnectionResetError()), "inesperado"),
    ],
)
def test_errors_are_transient_final_or_unexpected(error: Exception, failure: str) -> None:
    assert classify(error) == Failure(failure)


def test_a_dbapi_error_that_invalidated_its_connection_is_transient() -> None:
    error = sa.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert classify(error) is Failure.TRANSIENT


def test_people_read_the_domain_message_or_the_exception() -> None:
    assert describe(NotFound("No existe la familia")) == "no_encontrado: No existe la familia"
    assert describe(KeyError("family_code")) == "KeyError: 'family_code'"
