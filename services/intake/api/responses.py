"""The refusals intake's endpoints answer in problem+json, described once for the OpenAPI."""

from __future__ import annotations

from typing import Any

Responses = dict[int | str, dict[str, Any]]

NO_FAMILY: Responses = {404: {"description": "No existe una familia con ese identificador"}}
NO_IMPORT: Responses = {404: {"description": "No existe esa importación de nómina"}}
FACT_REFUSED: Responses = NO_FAMILY | {
    409: {
        "description": "No corresponde en este estado (sin localizar, ya registrado, "
        "egresada…) o la clave de idempotencia ya se usó con otra solicitud"
    }
}
