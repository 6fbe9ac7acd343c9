"""The one error hierarchy. Every error a user can see has a stable `code` and a Spanish message."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal the user can act on. `message` is shown as is, in Spanish.

    `transient` tells the one kind that is no refusal: the world was not ready (a
    dependency down), and the same request may succeed later (ARCHITECTURE.md, rule 6).
    """

    code: ClassVar[str] = "error_de_dominio"
    http_status: ClassVar[int] = 422
    title: ClassVar[str] = "Solicitud no válida"
    transient: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(DomainError, ValueError):
    """Also a ValueError, so pydantic validators report it against the field."""

    code = "validacion"
    http_status = 422
    title = "Datos no válidos"


class NotFound(DomainError):
    code = "no_encontrado"
    http_status = 404
    title = "No encontrado"


class Conflict(DomainError):
    code = "conflicto"
    http_status = 409
    title = "Conflicto"


class IllegalTransition(DomainError):
    code = "transicion_no_permitida"
    http_status = 409
    title = "Acción no permitida en este estado"


class IdempotencyMismatch(DomainError):
    """Same idempotency key, different request: refused, never applied."""

    code = "clave_idempotencia_reutilizada"
    http_status = 409
    title = "Clave de idempotencia reutilizada"


class DependencyUnavailable(DomainError):
    code = "dependencia_no_disponible"
    http_status = 503
    title = "Servicio no disponible"
    transient = True


ERRORS_BY_CODE: dict[str, type[DomainError]] = {
    cls.code: cls
    for cls in (
        DomainError,
        ValidationFailed,
        NotFound,
        Conflict,
        IllegalTransition,
        IdempotencyMismatch,
        DependencyUnavailable,
    )
}


def wire_code(error: DomainError) -> str:
    """The code to send over the bus: the nearest kind the receiver can rebuild.

    A service's own refinement (the bank timed out) travels as its shared kind (a
    dependency is unavailable), so the receiver still knows whether to retry.
    """
    for cls in type(error).__mro__:
        code = getattr(cls, "code", None)
        if code in ERRORS_BY_CODE and ERRORS_BY_CODE[code] is cls:
            return str(code)
    return DomainError.code


def error_from_code(code: str, message: str, details: dict[str, Any] | None = None) -> DomainError:
    """Rebuild a typed error received over the bus."""
    return ERRORS_BY_CODE.get(code, DomainError)(message, **(details or {}))
