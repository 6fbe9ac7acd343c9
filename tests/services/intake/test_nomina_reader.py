"""Reading nómina files as the Ministry and Excel write them."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from openpyxl import Workbook

from services.intake.nomina.reader import header_key, read_nomina
from shared.errors import ValidationFailed

HEADER = (
    "id_familia;RUN;Nombres;Apellido Paterno;Sexo;Fecha de Nacimiento;Parentesco;Jefe/a de hogar"
)
ROW = "F-1;15.234.567-4;María José;Muñoz;F;14-03-1986;Jefa de hogar;Sí"


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Fecha de Nacimiento", "fechanacimiento"),
        ("FECHA_NACIMIENTO", "fechanacimiento"),
        ("Ingreso per cápita", "ingresopercapita"),
        ("  apellido   paterno ", "apellidopaterno"),
        ("Jefe/a de hogar", "jefeahogar"),
    ],
)
def test_headers_match_without_case_accents_spaces_or_filler_words(written: str, key: str) -> None:
    assert header_key(written) == key


@pytest.mark.parametrize(
    "encoded",
    [
        (HEADER + "\r\n" + ROW + "\r\n").encode("utf-8"),
        b"\xef\xbb\xbf" + (HEADER + "\r\n" + ROW + "\r\n").encode("utf-8"),
        (HEADER + "\r\n" + ROW + "\r\n").encode("cp1252"),
        (HEADER + "\n" + ROW + "\n").encode("latin-1"),
        (HEADER.replace(";", ",") + "\n" + ROW.replace(";", ",") + "\n").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "windows-1252", "latin-1", "comma"],
)
def test_csv_in_every_encoding_and_separator_reads_the_same(encoded: bytes) -> None:
    read = read_nomina(encoded, "nomina.csv")
    assert len(read.rows) == 1
    cells = read.rows[0].cells
    assert cells["nombres"] == "María José"
    assert cells["apellido_paterno"] == "Muñoz"
    assert cells["fecha_nacimiento"] == "14-03-1986"
    assert cells["jefe_hogar"] == "Sí"
    assert read.rows[0].number == 2


def test_unknown_columns_are_ignored_with_a_warning_and_blank_rows_skipped() -> None:
    content = f"{HEADER};Observaciones\n{ROW};llamar tarde\n;;;;;;;;\n".encode()
    read = read_nomina(content, "n.csv")
    assert len(read.rows) == 1
    assert read.warnings == ["Columna desconocida ignorada: «Observaciones»"]


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(ValidationFailed) as raised:
        read_nomina(b"id_familia;run\nF-1;1-9\n", "n.csv")
    assert "fecha_nacimiento" in raised.value.message
    assert "parentesco" in raised.value.details["missing_columns"]


def test_xlsx_as_excel_writes_it_with_typed_cells() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(";"))
    sheet.append(["F-1", "15.234.567-4", "Ana", "Soto", "F", date(1986, 3, 14), "Madre", "No"])
    sheet.append([None] * 8)  # Excel's trailing empty rows
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_nomina(buffer.getvalue(), "nomina.xlsx")
    assert len(read.rows) == 1
    assert read.rows[0].cells["fecha_nacimiento"] == "1986-03-14"


def test_json_list_or_personas_object() -> None:
    person = {
        "id_familia": "F-1",
        "run": "15.234.567-4",
        "nombres": "Ana",
        "apellido_paterno": "Soto",
        "sexo": "F",
        "fecha_nacimiento": "1986-03-14",
        "parentesco": "Jefa de hogar",
        "jefe_hogar": True,
    }
    for content in (json.dumps([person]), json.dumps({"personas": [person]})):
        read = read_nomina(content.encode(), "n.json")
        assert read.rows[0].cells["jefe_hogar"] == "Sí"


@pytest.mark.parametrize(
    ("content", "filename", "fragment"),
    [
        (b"", "n.csv", "vacío"),
        (b"\x00\x01\x02garbage" * 10, "n.csv", "no es texto"),
        (b"PK\x03\x04not really a zip", "n.xlsx", "dañado"),
        (b"not excel", "n.xlsx", "no lo es"),
        (b"\xd0\xcf\x11\xe0old", "n.xls", ".xls"),
        (b"[{]", "n.json", "JSON está mal formado"),
        (b'{"a": 1}', "n.json", "lista de personas"),
        (HEADER.encode() + b"\n", "n.csv", "solo encabezados"),
        ("id;run\n".encode("utf-16"), "n.csv", "no es texto"),
    ],
)
def test_unreadable_files_get_one_clear_spanish_error(
    content: bytes, filename: str, fragment: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        read_nomina(content, filename)
    assert fragment in raised.value.message
