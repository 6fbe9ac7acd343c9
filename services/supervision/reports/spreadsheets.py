"""A report as CSV (one long table, ready for open-data portals) and as XLSX (a tab per table).

Every cell goes through `shared.tabular.safe_cell`: a comuna or label that starts like a
formula is shown as text, never evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from services.supervision.reports.document import Cell, Report, Table, text_columns
from shared.tabular import to_csv, xlsx_bytes, xlsx_cell

CSV_HEADERS = ("Sección", "Concepto", "Medida", "Valor")


def _long_rows(report: Report) -> Iterator[tuple[Cell, ...]]:
    yield ("Informe", "Título", "", report.title)
    yield ("Informe", "Período", "", report.period)
    yield ("Informe", "Alcance", "", report.scope)
    yield ("Informe", "Emitido", "", report.issued_text)
    for table in report.tables:
        names = text_columns(table)
        for row in table.rows:
            concept = " / ".join(str(cell) for cell in row[:names] if cell != "")
            for header, value in zip(table.headers[names:], row[names:], strict=True):
                if value != "":
                    yield (table.title, concept, header, value)


def to_report_csv(report: Report) -> bytes:
    """`Sección;Concepto;Medida;Valor`, one count per line; `;` and a UTF-8 BOM for Excel."""
    return to_csv(CSV_HEADERS, _long_rows(report))


def _sheet_name(name: str, taken: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", " ", name)[:31].strip() or "Hoja"
    candidate, number = clean, 2
    while candidate.casefold() in taken:
        suffix = f" {number}"
        candidate, number = clean[: 31 - len(suffix)] + suffix, number + 1
    taken.add(candidate.casefold())
    return candidate


def to_report_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    cover = book.active
    assert cover is not None
    taken: set[str] = set()
    cover.title = _sheet_name("Informe", taken)
    cover.append([xlsx_cell(report.title)])
    cover["A1"].font = Font(bold=True, size=14)
    for key, value in (("Período", report.period), ("Alcance", report.scope),
                       ("Emitido", report.issued_text)):  # fmt: skip
        cover.append([key, xlsx_cell(value)])
    cover.append([])
    cover.append(["Notas y definiciones"])
    cover.cell(row=cover.max_row, column=1).font = Font(bold=True)
    for note in report.notes:
        cover.append([xlsx_cell(note)])
        cover.cell(row=cover.max_row, column=1).alignment = Alignment(wrap_text=True)
    cover.column_dimensions["A"].width = 110
    for table in report.tables:
        _table_sheet(book.create_sheet(_sheet_name(table.sheet, taken)), table, Font)
    return xlsx_bytes(book)


def _table_sheet(sheet: Any, table: Table, font: Any) -> None:
    sheet.append([xlsx_cell(h) for h in table.headers])
    for cell in sheet[1]:
        cell.font = font(bold=True)
    for row in table.rows:
        sheet.append([xlsx_cell(cell) for cell in row])
    if table.note:
        sheet.append([])
        sheet.append([xlsx_cell(table.note)])
    sheet.column_dimensions["A"].width = 58
    for letter in "BCDEF":
        sheet.column_dimensions[letter].width = 16
    sheet.freeze_panes = "A2"
