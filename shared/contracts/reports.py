"""A report as supervision answers it with `format=json` (`/v1/reports/…`): titled tables
of counts, with notes. `familias reporte --formato tabla` prints this shape."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from shared.contracts.envelope import Contract

Cell = str | int


class ReportTable(Contract):
    title: str
    sheet: str = Field(description="Short name of its spreadsheet tab")
    headers: list[str]
    rows: list[list[Cell]] = Field(
        description="Leading text columns name the row, the others are counts; a count "
        "that does not add up across rows is left empty in the total"
    )
    note: str | None = None


class ReportDocument(Contract):
    schema_version: Literal[1] = 1
    title: str
    period: str
    scope: str
    issued_at: AwareDatetime
    issued_text: str = Field(description="The issue time as the PDF prints it")
    tables: list[ReportTable]
    notes: list[str]
