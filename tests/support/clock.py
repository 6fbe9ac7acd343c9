"""The instant the in-process services live at during tests, so no test depends on the day
it runs (the services read it from `ServiceRuntime.clock`, supervision from its app's clock).

Wednesday 17 June 2026, 12:00 in Santiago (16:00 UTC; Chile keeps UTC-4 in June). Mid-month:
"3 days ago" is this month, "40 to 60 days ago" and "the last day of last month" are earlier
months. Mid-year: none of them is last year, and January 1st is far away. Noon: the day is
the same in UTC and in Santiago, and a weekday like any working day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

NOW = datetime(2026, 6, 17, 16, 0, tzinfo=UTC)
TODAY = date(2026, 6, 17)  # NOW's day in America/Santiago: the services' today


def fixed_clock() -> datetime:
    """A `shared.clock.Clock` that always answers NOW."""
    return NOW
