"""Which month a payment cycle pays: pure, so the workflow and its tests share it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from temporalio.common import SearchAttributeKey

# Set by Temporal on every run a Schedule starts: the time the action was scheduled for,
# not the time it ran (a server down on the 20th runs it when it is back, maybe next month).
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
PROGRAMME_TIME_ZONE = ZoneInfo("America/Santiago")


def cycle_period(scheduled_at: datetime | None, now: datetime) -> str:
    """`AAAA-MM` of the month in Santiago the run was scheduled in; a run started by hand
    (no scheduled time) pays the month it runs in."""
    moment = scheduled_at if scheduled_at is not None else now
    return f"{moment.astimezone(PROGRAMME_TIME_ZONE):%Y-%m}"
