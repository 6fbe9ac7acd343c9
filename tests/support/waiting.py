"""Waiting for asynchronous outcomes without fixed sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    *,
    until: Callable[[T], bool] = bool,
    timeout: float = 30.0,
    interval: float = 0.2,
) -> T:
    """Call `probe` until `until(result)` holds; fail with the last result otherwise."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            last = await probe()
            if until(last):
                return last
        except Exception as exc:
            last_error = exc
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met in {timeout} s; last={last!r} error={last_error!r}")
