"""Drafts (diagnosis, plan) carry a version: answers send it as `ETag`, and a save with
`If-Match` whose version is no longer current is refused with 412, so two people editing
the same draft never silently overwrite each other."""

from __future__ import annotations

from typing import Annotated, Protocol, TypeVar

from fastapi import Depends, Header, Response

from shared.errors import ValidationFailed


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


DraftT = TypeVar("DraftT", bound=Versioned)


class ETag:
    """Answers a draft with its version in the `ETag` header."""

    def __init__(self, response: Response) -> None:
        self.response = response

    def answer(self, draft: DraftT) -> DraftT:
        self.response.headers["ETag"] = f'"{draft.version}"'
        return draft


class DraftEdit(ETag):
    """An edit of a draft: the version it was made on (`If-Match`), and the answer's ETag."""

    def __init__(
        self,
        response: Response,
        if_match: Annotated[
            str | None,
            Header(alias="If-Match", max_length=40, description="ETag del borrador que se editó"),
        ] = None,
    ) -> None:
        super().__init__(response)
        self.expected_version = expected_version(if_match)


def expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    digits = if_match.strip().removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise ValidationFailed('If-Match debe ser el ETag recibido, por ejemplo "3"')
    return int(digits)


Tagged = Annotated[ETag, Depends()]
Edit = Annotated[DraftEdit, Depends()]
