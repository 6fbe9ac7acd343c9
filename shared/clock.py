"""Where a process's "now" comes from: the real clock in production, a chosen one in tests.

Code that dates data (a referral, a claim, a file's execution day, what is overdue) takes
"now" from a `Clock` handed to it, never from `datetime.now()` itself, so a test can fix
the day or move it with Temporal's time-skipping server (workflows/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def real_clock() -> datetime:
    """The real current instant, in UTC."""
    return datetime.now(UTC)


class OffsetFileClock:
    """The real clock plus an offset read from a file, re-read whenever the file changes.

    For a whole system run as separate processes on Temporal's time-skipping test server
    (tests/chaos): the harness skips the server's clock and writes how many seconds it is
    now ahead of the real one; every service's "now" follows, as `SkippedClock` does for
    in-process services (tests/support/timeskip.py). A missing or unreadable file counts as
    no offset. Never configured in production (`Settings.clock_offset_file` unset).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                self._offset = timedelta(seconds=float(self.path.read_text().strip() or 0))
                self._stamp = stamp
        except (OSError, ValueError):
            self._offset, self._stamp = timedelta(0), None
        return datetime.now(UTC) + self._offset


def configured_clock(offset_file: Path | None) -> Clock:
    """The real clock, unless a clock offset file is configured (time-skipped runs only)."""
    return real_clock if offset_file is None else OffsetFileClock(offset_file)


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day `moment` falls on in `timezone` (the programme's: America/Santiago)."""
    return moment.astimezone(ZoneInfo(timezone)).date()
