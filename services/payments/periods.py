"""Months as payments counts them: the first day of a calendar month, written AAAA-MM."""

from __future__ import annotations

from datetime import date

from shared.errors import ValidationFailed


def parse_period(value: str) -> date:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise ValidationFailed("Mes no válido: use AAAA-MM") from exc


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
