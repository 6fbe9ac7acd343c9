"""Reading a nómina file into rows of text, whatever program wrote it.

CSV (comma or semicolon; UTF-8 with or without BOM, or Windows-1252 as Excel writes it),
XLSX and JSON all become the same thing: a header mapped to our column names and, per
person, a dict of stripped strings with the row number a person sees in the file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared.errors import ValidationFailed
from shared.tabular import decode_text

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_CELL = 500

COLUMNS = (
    "id_familia",
    "run",
    "nombres",
    "apellido_paterno",
    "apellido_materno",
    "sexo",
    "fecha_nacimiento",
    "parentesco",
    "jefe_hogar",
    "direccion",
    "comuna",
    "telefono",
    "tramo_rsh",
    "ingreso_per_capita",
)
REQUIRED_COLUMNS = (
    "id_familia",
    "run",
    "nombres",
    "apellido_paterno",
    "sexo",
    "fecha_nacimiento",
    "parentesco",
)

# Header spellings seen in the wild, after `header_key` (no case, accents, spaces, "de").
_ALIASES = {
    "idfamilia": "id_familia",
    "familia": "id_familia",
    "codigofamilia": "id_familia",
    "folio": "id_familia",
    "foliofamilia": "id_familia",
    "run": "run",
    "rut": "run",
    "runintegrante": "run",
    "rutintegrante": "run",
    "nombres": "nombres",
    "nombre": "nombres",
    "apellidopaterno": "apellido_paterno",
    "paterno": "apellido_paterno",
    "apellidomaterno": "apellido_materno",
    "materno": "apellido_materno",
    "sexo": "sexo",
    "genero": "sexo",
    "fechanacimiento": "fecha_nacimiento",
    "nacimiento": "fecha_nacimiento",
    "parentesco": "parentesco",
    "relacion": "parentesco",
    "jefehogar": "jefe_hogar",
    "jefeahogar": "jefe_hogar",
    "jefahogar": "jefe_hogar",
    "direccion": "direccion",
    "domicilio": "direccion",
    "comuna": "comuna",
    "telefono": "telefono",
    "fono": "telefono",
    "celular": "telefono",
    "tramorsh": "tramo_rsh",
    "tramo": "tramo_rsh",
    "ingresopercapita": "ingreso_per_capita",
    "ingresopc": "ingreso_per_capita",
}
_FILLER_WORDS = {"de", "del", "la", "el", "los", "las", "o"}


@dataclass
class RawRow:
    number: int  # as the user sees it: the header is row 1
    cells: dict[str, str]


@dataclass
class RawFile:
    rows: list[RawRow]
    columns: dict[str, str]  # our name → header as written in the file
    warnings: list[str] = field(default_factory=list)


def header_key(header: str) -> str:
    """`"Fecha de Nacimiento"` → `"fechanacimiento"`; `"Ingreso per cápita"` → idem."""
    plain = unicodedata.normalize("NFKD", header.strip().lower())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    words = [w for w in re.split(r"[^a-z0-9]+", plain) if w and w not in _FILLER_WORDS]
    return "".join(words)


def read_nomina(content: bytes, filename: str) -> RawFile:
    """Parse by content first, by name second; any failure is a `ValidationFailed` in Spanish."""
    if not content.strip():
        raise ValidationFailed("El archivo está vacío")
    if len(content) > MAX_BYTES:
        raise ValidationFailed(
            f"El archivo pesa {len(content) // (1024 * 1024)} MB; el máximo es "
            f"{MAX_BYTES // (1024 * 1024)} MB"
        )
    kind = _kind(content, filename)
    if kind == "xlsx":
        header, records = _read_xlsx(content)
    elif kind == "json":
        header, records = _read_json(content)
    else:
        header, records = _read_csv(content)
    return _map_columns(header, records)


def _kind(content: bytes, filename: str) -> str:
    if content[:4] == b"PK\x03\x04":
        return "xlsx"
    stripped = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        return "json"
    lowered = filename.lower()
    if lowered.endswith((".xlsx", ".xlsm")):
        raise ValidationFailed("El archivo dice ser Excel (.xlsx) pero no lo es")
    if lowered.endswith(".xls"):
        raise ValidationFailed(
            "Los archivos .xls (Excel 97-2003) no se aceptan: guárdelo como .xlsx o CSV"
        )
    return "csv"


def _read_csv(content: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    text = decode_text(content)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise ValidationFailed("El archivo no tiene una fila de encabezados") from exc

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            for record in reader:
                yield reader.line_num, record
        except csv.Error as exc:
            raise ValidationFailed(
                f"El CSV está mal formado cerca de la línea {reader.line_num}: {exc}"
            ) from exc

    return header, records()


def _read_xlsx(content: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationFailed("El archivo Excel está dañado o no es .xlsx") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [_cell_text(value) for value in next(rows)]
    except StopIteration as exc:
        raise ValidationFailed("La primera hoja del Excel está vacía") from exc

    def records() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(rows, start=2):
            yield number, [_cell_text(value) for value in values]
        book.close()

    return header, records()


def _cell_text(value: Any) -> str:
    """Excel cells come typed: dates stay dates, whole numbers lose their `.0`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "Sí" if value else "No"
    return str(value)


def _read_json(content: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    try:
        data = json.loads(decode_text(content))
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"El JSON está mal formado (línea {exc.lineno}, columna {exc.colno})"
        ) from exc
    if isinstance(data, dict):
        data = data.get("personas", data.get("filas"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValidationFailed(
            'El JSON debe ser una lista de personas (objetos), o {"personas": [...]}'
        )
    header: list[str] = []
    for item in data:
        for key in item:
            if key not in header:
                header.append(str(key))

    def records() -> Iterator[tuple[int, list[str]]]:
        for number, item in enumerate(data, start=2):
            yield number, [_json_text(item.get(key)) for key in header]

    return header, records()


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _map_columns(header: list[str], records: Iterator[tuple[int, list[str]]]) -> RawFile:
    positions: dict[str, int] = {}
    columns: dict[str, str] = {}
    warnings: list[str] = []
    for index, written in enumerate(header):
        name = _ALIASES.get(header_key(written))
        if name is None:
            if written.strip():
                warnings.append(f"Columna desconocida ignorada: «{written.strip()[:60]}»")
            continue
        if name in positions:
            warnings.append(f"Columna repetida ignorada: «{written.strip()[:60]}»")
            continue
        positions[name] = index
        columns[name] = written.strip()
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        raise ValidationFailed(
            "Faltan columnas obligatorias: " + ", ".join(missing),
            missing_columns=missing,
            found_columns=[h.strip() for h in header if h.strip()],
        )
    rows: list[RawRow] = []
    for number, record in records:
        if not any(cell.strip() for cell in record):
            continue  # blank lines, Excel's trailing empty rows
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed(f"El archivo tiene más de {MAX_ROWS:,} filas".replace(",", "."))
        cells = {
            name: record[index].strip() if index < len(record) else ""
            for name, index in positions.items()
        }
        rows.append(RawRow(number, cells))
    if not rows:
        raise ValidationFailed("El archivo no tiene filas de personas, solo encabezados")
    return RawFile(rows, columns, warnings)
