"""Answers that are files (a report, an error list): how the OpenAPI documents them."""

from __future__ import annotations

from typing import Any


def file_content(*media_types: str) -> dict[str, Any]:
    """OpenAPI content of a downloaded file, in any of these media types."""
    return {media: {"schema": {"type": "string", "format": "binary"}} for media in media_types}
