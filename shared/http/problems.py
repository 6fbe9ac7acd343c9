"""One HTTP error shape: RFC 9457 problem+json, with Spanish titles and details."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError
from shared.observability import get_logger

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"

_PYDANTIC_MESSAGES = {
    "missing": "campo obligatorio",
    "string_too_short": "texto demasiado corto",
    "string_too_long": "texto demasiado largo",
    "string_type": "debe ser texto",
    "int_parsing": "debe ser un número entero",
    "int_type": "debe ser un número entero",
    "float_parsing": "debe ser un número",
    "date_from_datetime_parsing": "fecha no válida (use AAAA-MM-DD)",
    "date_parsing": "fecha no válida (use AAAA-MM-DD)",
    "datetime_parsing": "fecha y hora no válidas",
    "uuid_parsing": "identificador no válido",
    "enum": "valor no permitido",
    "literal_error": "valor no permitido",
    "greater_than_equal": "valor demasiado pequeño",
    "less_than_equal": "valor demasiado grande",
    "greater_than": "valor demasiado pequeño",
    "less_than": "valor demasiado grande",
    "extra_forbidden": "campo no reconocido",
    "json_invalid": "JSON no válido",
    "model_attributes_type": "se esperaba un objeto",
    "dict_type": "se esperaba un objeto",
    "list_type": "se esperaba una lista",
    "bool_parsing": "debe ser verdadero o falso",
    "value_error": "valor no válido",
}


class FieldError(BaseModel):
    field: str = Field(description="Dónde está el error (p. ej. members.0.run)")
    reason: str = Field(description="Por qué no es válido, en español")


class Problem(BaseModel):
    """Every error answer (RFC 9457); a refusal may add members of its own (`errors`, …)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:familias:error:validacion"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="Qué pasó, en español, para mostrar a la persona")
    code: str = Field(description="Código estable del error")


def problem(status: int, title: str, detail: str, *, code: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:familias:error:{code}", "title": title, "status": status}
    body |= {"detail": detail, "code": code, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        kind = str(error.get("type", ""))
        message = _PYDANTIC_MESSAGES.get(kind)
        if kind == "value_error" and error.get("ctx", {}).get("error"):
            message = str(error["ctx"]["error"])
        errors.append(FieldError(field=location, reason=message or str(error.get("msg", kind))))
    return errors


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        details = {k: v for k, v in exc.details.items() if _is_json_scalar_or_list(v)}
        return problem(exc.http_status, exc.title, exc.message, code=exc.code, **details)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        detail = "; ".join(f"{e.field}: {e.reason}" for e in errors) or "Datos no válidos"
        return problem(
            422,
            "Datos no válidos",
            detail,
            code="validacion",
            errors=[e.model_dump() for e in errors],
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            400: "Solicitud no válida",
            404: "No encontrado",
            405: "Método no permitido",
            401: "No autenticado",
            403: "No autorizado",
        }
        title = titles.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = "La ruta solicitada no existe"
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "El cuerpo de la solicitud no se pudo leer (JSON o formulario mal formado)"
        if exc.status_code == 405:
            detail = "Método no permitido en esta ruta"
        return problem(exc.status_code, title, detail, code=f"http_{exc.status_code}")

    @app.exception_handler(IntegrityError)
    async def integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Two simultaneous requests reached the same unique key; the other one won.
        log.warning("integrity_conflict", constraint=str(exc.orig)[:200])
        return problem(
            409,
            "Conflicto",
            "Otra operación simultánea modificó los mismos datos; reintente",
            code="conflicto_concurrente",
        )

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        # SQLSTATE class 22 is "data exception": input pydantic accepts but PostgreSQL
        # cannot store, e.g. a NUL character in a text or a number beyond a column's range.
        state = _sqlstate(exc)
        if state.startswith("40") or state == "55P03":
            # Serialization failure, deadlock or lock timeout: another request won; retry.
            log.warning("concurrent_conflict", sqlstate=state)
            return problem(
                409,
                "Conflicto",
                "Otra operación simultánea modificó los mismos datos; reintente",
                code="conflicto_concurrente",
            )
        if state.startswith("22"):
            log.info("data_exception", sqlstate=state)
            return problem(
                422,
                "Datos no válidos",
                "Algún valor contiene caracteres no permitidos o está fuera de rango",
                code="validacion",
            )
        return await unexpected(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected_error")
        return problem(
            500,
            "Error interno",
            "Ocurrió un error inesperado; quedó registrado para revisión",
            code="error_interno",
        )


def _sqlstate(exc: DBAPIError) -> str:
    """The PostgreSQL error code, wherever the driver adapter keeps it."""
    for error in (exc.orig, getattr(exc.orig, "__cause__", None)):
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(code, str):
            return code
    return ""


def _is_json_scalar_or_list(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | list | dict) or value is None


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI says what the handlers above answer: every 4xx and 5xx an operation
    declares may come as problem+json (beside a body of its own, such as a rejected
    nómina's report), and FastAPI's default 422 shape, which we never send, is gone."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    components["Problem"] = Problem.model_json_schema()
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            responses.setdefault("422", {"description": "Datos no válidos"})
            if "requestBody" in operation:
                responses.setdefault("400", {"description": "El cuerpo no se pudo leer"})
            for code, response in responses.items():
                if code[0] not in "45":
                    continue
                declared = response.get("content", {})
                if "HTTPValidationError" in str(declared):
                    declared = {}
                response["content"] = declared | content
    return schema
