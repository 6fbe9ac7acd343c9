"""Reading several sources at once, where one missing source must not blank the whole page."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from shared.errors import DomainError

T = TypeVar("T")


async def settled(source: Awaitable[T]) -> T | DomainError:
    """The value, or the typed refusal or outage it ended in (shown on the page instead)."""
    try:
        return await source
    except DomainError as exc:
        return exc
