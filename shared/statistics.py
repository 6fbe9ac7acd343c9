"""What intake's and plans' statistics share: the period and comuna asked for, their
deadlines' defaults, and the SQL conditions every count is filtered by."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import ColumnElement, and_

from shared.errors import ValidationFailed

# Policy defaults (DOMAIN.md §2, workflows' Policy.contact_deadline_days and
# plan_deadline_days): days to locate a family, and to sign its plan after the diagnosis.
CONTACT_DEADLINE_DAYS = 30
PLAN_DEADLINE_DAYS = 30

Year = Annotated[int, Query(ge=2000, le=2100, description="Año del informe")]
Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="Mes del informe, AAAA-MM")]
Comuna = Annotated[str | None, Query(max_length=80, description="Solo esta comuna")]
DeadlineDays = Annotated[int, Query(ge=1, le=365, description="Plazo en días")]


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of `AAAA-MM`."""
    year, number = int(month[:4]), int(month[5:7])
    if not (2000 <= year <= 2100 and 1 <= number <= 12):
        raise ValidationFailed("Mes no válido: use AAAA-MM, entre 2000 y 2100")
    return date(year, number, 1), date(year, number, monthrange(year, number)[1])


def due_before(last: date, today: date, days: int) -> date:
    """A fact still missing for something that began before this date has passed a
    deadline of `days` at `last`, or today while the period runs (nothing is overdue in
    the future)."""
    return min(last, today) - timedelta(days=days)


def between(column: Any, first: date, last: date) -> ColumnElement[bool]:
    return and_(column >= first, column <= last)


def in_comuna(column: Any, comuna: str | None) -> list[ColumnElement[bool]]:
    """No condition for every comuna; else the comuna as written, spaces collapsed."""
    return [column == " ".join(comuna.split())] if comuna else []
