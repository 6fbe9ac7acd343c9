"""The refusals plans' endpoints answer in problem+json, described once for the OpenAPI."""

from __future__ import annotations

from typing import Any

Responses = dict[int | str, dict[str, Any]]

NO_CASE: Responses = {404: {"description": "La familia no tiene expediente en planes"}}
NOT_FOUND: Responses = {404: {"description": "La familia o lo pedido aún no existe"}}
NOT_NOW: Responses = {
    409: {"description": "No corresponde en este estado (sin carta de compromiso, egresada…)"}
}
STALE: Responses = {412: {"description": "Otra persona guardó antes: recargue"}}
REFUSALS: Responses = NOT_FOUND | NOT_NOW
