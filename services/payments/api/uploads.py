"""A CSV sent as a request's body, as Excel writes it, within a size limit."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from shared.errors import ValidationFailed
from shared.tabular import decode_text

CSV_BODY: dict[str, Any] = {
    "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
}


async def uploaded_text(request: Request, limit: int, what: str) -> str:
    raw = await request.body()
    if len(raw) > limit:
        raise ValidationFailed(
            f"El archivo de {what} es demasiado grande (máximo {limit // 1_000_000} MB)"
        )
    return decode_text(raw)
