"""Where a process's "now" comes from: the real clock in production, a chosen one in tests.

Code that dates data (a referral, a claim, a file's execution day, what is overdue) takes
"now" from a `Clock` handed to it, never from `datetime.now()` itself, so a test can fix
the day or move it with Temporal's time-skipping server (workflows/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def real_clock() -> datetime:
    """The real current instant, in UTC."""
    return datetime.now(UTC)


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day `moment` falls on in `timezone` (the programme's: America/Santiago)."""
    return moment.astimezone(ZoneInfo(timezone)).date()
