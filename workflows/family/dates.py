"""Days and months as the programme counts them: in Santiago's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SANTIAGO = ZoneInfo("America/Santiago")


def local_day(moment: datetime) -> date:
    return moment.astimezone(SANTIAGO).date()


def start_of(day: date) -> datetime:
    """Midnight of `day` in Santiago, as an aware UTC instant."""
    return datetime.combine(day, time(0), tzinfo=SANTIAGO).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
