"""A report as data: titled tables of counts, with notes. Every renderer reads this shape."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from shared.contracts.reports import Cell as Cell
from shared.contracts.reports import ReportDocument, ReportTable


@dataclass(frozen=True)
class Table:
    """One table of a report. Leading text columns name the row; the others are counts."""

    title: str
    sheet: str  # short name for the spreadsheet tab (at most 31 characters)
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    note: str | None = None


@dataclass(frozen=True)
class Report:
    title: str
    period: str
    scope: str
    issued_at: datetime  # aware, in the unit's timezone
    file_stem: str
    tables: list[Table]
    notes: list[str] = field(default_factory=list)

    @property
    def issued_text(self) -> str:
        return f"{self.issued_at:%d-%m-%Y %H:%M} (hora de Chile)"


MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")  # fmt: skip


def scope_text(comuna: str | None) -> str:
    return f"Comuna de {comuna}" if comuna else "Todas las comunas del sistema"


def file_stem(*parts: str | None) -> str:
    """An ASCII file name from the report's kind, period and comuna: `informe-…-2024-conchali`."""
    words = []
    for part in parts:
        if not part:
            continue
        plain = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        words.append(re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-"))
    return "-".join(w for w in words if w)


def with_total(
    label: str, rows: list[tuple[Cell, ...]], text_columns: int = 1
) -> list[tuple[Cell, ...]]:
    """The rows and a closing row with each count column summed (none when empty)."""
    if not rows:
        return []
    sums = [sum(int(r[i]) for r in rows) for i in range(text_columns, len(rows[0]))]
    return [*rows, (label, *([""] * (text_columns - 1)), *sums)]


def text_columns(table: Table) -> int:
    """How many leading columns name the row (the rest are counts)."""
    for index in range(len(table.headers)):
        if any(isinstance(row[index], int) for row in table.rows):
            return index
    return len(table.headers)


def to_report_document(report: Report) -> ReportDocument:
    """The report for scripts."""
    return ReportDocument(
        title=report.title,
        period=report.period,
        scope=report.scope,
        issued_at=report.issued_at,
        issued_text=report.issued_text,
        tables=[
            ReportTable(
                title=t.title,
                sheet=t.sheet,
                headers=list(t.headers),
                rows=[list(row) for row in t.rows],
                note=t.note,
            )
            for t in report.tables
        ],
        notes=report.notes,
    )
