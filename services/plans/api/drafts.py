"""Drafts (diagnosis, plan) carry a version: answers send it as `ETag`, and a save with
`If-Match` whose version is no longer current is refused with 412, so two people editing
the same draft never silently overwrite each other."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from shared.errors import ValidationFailed

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=40, description="ETag del borrador que se editó"),
]


def expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    digits = if_match.strip().removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise ValidationFailed('If-Match debe ser el ETag recibido, por ejemplo "3"')
    return int(digits)
