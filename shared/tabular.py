"""Exporting tables as people open them: CSV for Excel in Chile, and XLSX.

Every cell is neutralised against formula injection: a value that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return is prefixed with `'`, so a spreadsheet shows it as text
instead of running it (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from shared.errors import ValidationFailed

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def decode_text(content: bytes) -> str:
    """An uploaded text file: UTF-8 (with or without BOM) or, failing that, Windows-1252
    as Excel saves CSV in Chile."""
    if b"\x00" in content[:4096]:
        raise ValidationFailed(
            "El archivo no es texto (¿UTF-16 o binario?): guárdelo como CSV UTF-8 o .xlsx"
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("No se reconoce la codificación del archivo") from exc


def safe_cell(value: Any) -> Any:
    """Numbers stay numbers; text that a spreadsheet would evaluate becomes inert text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(_DANGEROUS_START):
        return "'" + text
    return text


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Semicolon-separated with a UTF-8 BOM: Excel with Chilean settings opens it as is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def xlsx_cell(value: Any) -> Any:
    """`safe_cell`, without the control characters an XLSX file cannot hold (a value typed
    with one would otherwise make the whole export fail)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = safe_cell(value)
    return ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell


def xlsx_bytes(book: Any) -> bytes:
    """Save a workbook with every text cell typed as text: never a formula, even if one
    slipped past `safe_cell`."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([xlsx_cell(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([xlsx_cell(cell) for cell in row])
    return xlsx_bytes(book)
