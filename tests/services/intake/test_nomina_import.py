"""Importing nóminas through the intake API, against a real PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, text

from services.intake.models import Family, NominaImport
from shared.db.audit import audit_table
from tests.conftest import ServiceUnderTest
from tests.support.data import random_rut

SAMPLE = Path(__file__).resolve().parents[3] / "docs" / "nomina" / "nomina-ejemplo.csv"
HEADER = [
    "id_familia", "run", "nombres", "apellido_paterno", "apellido_materno", "sexo",
    "fecha_nacimiento", "parentesco", "jefe_hogar", "direccion", "telefono",
]  # fmt: skip


def person(code: str, relation: str, sex: str, born: str, head: bool = False) -> list[str]:
    return [
        code, random_rut(), "Nombre", "Apellido", "Materno", sex, born, relation,
        "Sí" if head else "No", "Calle Falsa 123", "",
    ]  # fmt: skip


def family(code: str) -> list[list[str]]:
    return [
        person(code, "Jefa de hogar", "F", "14-03-1986", head=True),
        person(code, "Hijo", "M", "02-07-2014"),
    ]


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


async def upload(
    intake: ServiceUnderTest,
    content: bytes,
    comuna: str,
    *,
    filename: str = "nomina.csv",
    accept_valid: bool = False,
    year: int = 2026,
) -> tuple[int, dict[str, Any]]:
    response = await intake.client.post(
        "/v1/nominas",
        files={"file": (filename, content)},
        data={
            "comuna": comuna,
            "cohort_year": str(year),
            "accept_valid": str(accept_valid).lower(),
        },
        headers={"X-Familias-Usuario": "ana.operadora"},
    )
    return response.status_code, response.json()


async def add_afi(
    intake: ServiceUnderTest, comuna: str, name: str, limit: int | None = None
) -> str:
    body: dict[str, Any] = {"run": random_rut(), "name": name, "role": "apoyo_familiar"}
    body |= {"comuna": comuna, "max_active_families": limit}
    response = await intake.client.post("/v1/staff", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def count(intake: ServiceUnderTest, comuna: str) -> tuple[int, int]:
    async with intake.runtime.sessions() as session:
        families = await session.scalar(
            select(func.count()).select_from(Family).where(Family.comuna == comuna)
        )
        imports = await session.scalar(
            select(func.count())
            .select_from(NominaImport)
            .where(NominaImport.comuna == comuna, NominaImport.status == "importada")
        )
    return int(families or 0), int(imports or 0)


@pytest.fixture
def comuna() -> str:
    return f"Comuna {uuid4().hex[:8]}"


async def family_by_run(intake: ServiceUnderTest, run: str) -> dict[str, Any]:
    response = await intake.client.get("/v1/families", params={"run": run})
    (found,) = response.json()
    return dict(found)


async def test_the_sample_nomina_imports_with_representatives_and_assignments(
    intake: ServiceUnderTest, comuna: str
) -> None:
    afis = [await add_afi(intake, comuna, f"AFI {n}") for n in range(2)]
    status, summary = await upload(intake, SAMPLE.read_bytes(), comuna, filename=SAMPLE.name)
    assert status == 201, summary
    assert summary["status"] == "importada"
    assert summary["families_imported"] == [f"CON-2026-000{n}" for n in range(1, 6)]
    assert summary["families_rejected"] == []
    assert summary["errors"] == []
    assert sorted(summary["assignments"].values()) == [2, 3]

    expected = {
        "15.234.567-4": ("madre", "152345674"),  # woman head with her children
        "12.876.543-3": ("madre", "139876547"),  # the partner, mother of the boy
        "9.876.543-3": ("hombre_jefe", "98765433"),  # no woman
        "8.765.432-k": ("madre", "176543213"),  # the daughter, mother of the grandson
        "22987654-6": ("adulto_a_cargo", "104567894"),  # minor head, caring adult
    }
    for head_run, (reason, payee) in expected.items():
        found = await family_by_run(intake, head_run)
        assert found["representative"]["reason"] == reason, head_run
        assert found["representative"]["run"] == payee, head_run
        assert found["apoyo_familiar_id"] in afis
        assert found["version"] == 1

    status, again = await upload(intake, SAMPLE.read_bytes(), comuna, filename=SAMPLE.name)
    assert status == 200
    assert again["status"] == "sin_cambios"
    assert again["families_imported"] == []
    assert "ya fue importado" in again["message"]
    assert await count(intake, comuna) == (5, 1)


async def test_a_file_with_bad_rows_is_refused_whole_with_the_full_report(
    intake: ServiceUnderTest, comuna: str
) -> None:
    good = family("OK-1")
    bad = family("BAD-1")
    bad[0][1] = "15.234.567-5"  # wrong check digit
    bad[1][2] = '=HYPERLINK("http://x")'  # formula injection
    status, report = await upload(intake, csv_bytes(good + bad), comuna)
    assert status == 422
    assert report["status"] == "rechazada"
    assert report["families_imported"] == []
    assert report["families_rejected"] == ["BAD-1"]
    assert {(e["line"], e["column"]) for e in report["errors"]} == {(4, "run"), (5, "nombres")}
    assert await count(intake, comuna) == (0, 0)
    assert (await intake.client.get("/v1/families", params={"run": good[0][1]})).json() == []

    csv_report = await intake.client.get(report["error_report_url"])
    assert csv_report.status_code == 200
    assert csv_report.content.startswith(b"\xef\xbb\xbf")
    lines = csv_report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Fila;Columna;Valor (enmascarado);Motivo;ID familia"
    assert "15.234.567" not in csv_report.text  # the RUT is masked
    xlsx = await intake.client.get(report["error_report_url"], params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


async def test_accepting_valid_families_imports_them_and_reports_the_rest(
    intake: ServiceUnderTest, comuna: str
) -> None:
    good = family("OK-1")
    bad = family("BAD-1")
    bad[1][6] = "31-02-2014"
    status, summary = await upload(intake, csv_bytes(good + bad), comuna, accept_valid=True)
    assert status == 201
    assert summary["families_imported"] == ["OK-1"]
    assert summary["families_rejected"] == ["BAD-1"]
    assert summary["errors"][0]["line"] == 5
    assert summary["families_unassigned"] == ["OK-1"]  # no Apoyo Familiar in the comuna
    assert any("sin Apoyo Familiar" in w for w in summary["warnings"])
    assert await count(intake, comuna) == (1, 1)


async def test_a_corrected_file_updates_only_what_changed_as_a_new_version(
    intake: ServiceUnderTest, comuna: str
) -> None:
    first, second = family("V-1"), family("V-2")
    status, _ = await upload(intake, csv_bytes(first + second), comuna)
    assert status == 201
    corrected = [row[:] for row in first] + [row[:] for row in second]
    corrected[1][2] = "Nombre Corregido"
    corrected.append(person("V-2", "Hija", "F", "01-01-2020"))
    status, summary = await upload(intake, csv_bytes(corrected), comuna)
    assert status == 201, summary
    assert summary["families_updated"] == ["V-1", "V-2"]
    corrected_again = [row[:] for row in corrected]
    corrected_again[0][9] = "Nueva dirección 456"
    status, summary = await upload(intake, csv_bytes(corrected_again), comuna)
    assert summary["families_updated"] == ["V-1"]
    assert summary["families_unchanged"] == ["V-2"]

    v1 = await family_by_run(intake, first[0][1])
    assert v1["version"] == 3
    assert v1["members"][1]["given_names"] == "Nombre Corregido"
    history = (await intake.client.get(f"/v1/families/{v1['id']}/versions")).json()
    assert [(h["version"], h["change"]) for h in history] == [
        (1, "creada"), (2, "actualizada"), (3, "actualizada"),
    ]  # fmt: skip
    v2 = await family_by_run(intake, second[0][1])
    assert len(v2["members"]) == 3
    assert await count(intake, comuna) == (2, 3)


async def test_a_person_active_in_another_family_is_a_row_error(
    intake: ServiceUnderTest, comuna: str
) -> None:
    elsewhere = family("A-1")
    status, _ = await upload(intake, csv_bytes(elsewhere), f"{comuna} otra")
    assert status == 201
    clash = family("B-1")
    clash[1][1] = elsewhere[1][1]
    status, report = await upload(intake, csv_bytes(clash), comuna)
    assert status == 422
    (error,) = report["errors"]
    assert error["line"] == 3
    assert error["reason"].startswith("La persona ya participa activamente en otra familia")


async def test_new_families_go_to_the_least_loaded_apoyo_familiar(
    intake: ServiceUnderTest, comuna: str
) -> None:
    busy = await add_afi(intake, comuna, "Ocupada")
    status, _ = await upload(intake, csv_bytes(family("L-0") + family("L-00")), comuna)
    assert status == 201  # both go to the only professional
    free = await add_afi(intake, comuna, "Libre", limit=3)
    rows = [row for n in range(1, 6) for row in family(f"L-{n}")]
    status, summary = await upload(intake, csv_bytes(rows), comuna)
    assert status == 201
    assert summary["assignments"] == {"Libre": 3, "Ocupada": 2}
    staff = (await intake.client.get("/v1/staff", params={"comuna": comuna})).json()
    load = {s["id"]: s["active_families"] for s in staff}
    assert load == {busy: 4, free: 3}


async def test_an_operator_overrides_the_representative_with_a_justification(
    intake: ServiceUnderTest, comuna: str
) -> None:
    rows = [*family("R-1"), person("R-1", "Abuela", "F", "01-01-1950")]
    status, _ = await upload(intake, csv_bytes(rows), comuna)
    assert status == 201
    found = await family_by_run(intake, rows[0][1])
    grandmother, child = rows[2][1], rows[1][1]
    url = f"/v1/families/{found['id']}/representative"
    headers = {"X-Familias-Usuario": "jefa.unidad"}
    minor = await intake.client.put(
        url, json={"run": child, "justification": "Es quien cobra hoy"}, headers=headers
    )
    assert minor.status_code == 422
    assert "mayor de edad" in minor.json()["detail"]
    changed = await intake.client.put(
        url,
        json={"run": grandmother, "justification": "La madre trabaja fuera de la comuna"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    payee = changed.json()["representative"]
    assert payee["reason"] == "designado"
    assert payee["justification"] == "La madre trabaja fuera de la comuna"
    async with intake.runtime.sessions() as session:
        audit = (
            await session.execute(
                select(audit_table).where(
                    audit_table.c.entity_id == found["id"],
                    audit_table.c.action == "familia.representante_designado",
                )
            )
        ).first()
    assert audit is not None
    assert audit.actor == "jefa.unidad"
    assert grandmother not in str(audit.details)  # the RUT never reaches the audit log
    events = await _outbox_subjects(intake, found["id"])
    assert "intake.evt.v1.family.representative_changed" in events


async def _outbox_subjects(intake: ServiceUnderTest, family_id: str) -> list[str]:
    async with intake.runtime.sessions() as session:
        rows = await session.execute(
            text("SELECT subject FROM outbox WHERE payload->>'family_id' = :id ORDER BY seq"),
            {"id": family_id},
        )
    return [subject for (subject,) in rows]


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("cp1252", ";"), ("utf-8-sig", ";"), ("latin-1", ",")]
)
async def test_files_as_excel_saves_them(
    intake: ServiceUnderTest, comuna: str, encoding: str, delimiter: str
) -> None:
    rows = family("E-1")
    rows[0][2] = "Begoña Ñuñez"
    status, summary = await upload(
        intake, csv_bytes(rows, encoding=encoding, delimiter=delimiter), comuna
    )
    assert status == 201, summary
    found = await family_by_run(intake, rows[0][1])
    assert found["members"][0]["given_names"] == "Begoña Ñuñez"


async def test_an_xlsx_nomina(intake: ServiceUnderTest, comuna: str) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([h.replace("_", " ").title() for h in HEADER])
    rows = family("X-1")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    status, summary = await upload(intake, buffer.getvalue(), comuna, filename="nomina.xlsx")
    assert status == 201, summary
    assert summary["families_imported"] == ["X-1"]


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff" * 500,
        b"PK\x03\x04" + bytes(range(256)) * 4,
        ("id_familia;run\n" + "x;" * 5000).encode(),
        b"\xef\xbb\xbf",
    ],
    ids=["binary", "broken-zip", "wrong-columns", "only-bom"],
)
async def test_garbage_files_get_a_clear_error_and_change_nothing(
    intake: ServiceUnderTest, comuna: str, content: bytes
) -> None:
    response = await intake.client.post(
        "/v1/nominas",
        files={"file": ("nomina.csv", content)},
        data={"comuna": comuna, "cohort_year": "2026"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]
    assert await count(intake, comuna) == (0, 0)


async def test_a_correction_that_changes_the_payee_announces_it(
    intake: ServiceUnderTest, comuna: str
) -> None:
    rows = [
        person("P-1", "Jefe de hogar", "M", "01-01-1980", head=True),
        person("P-1", "Hijo", "M", "02-07-2014"),
    ]
    status, _ = await upload(intake, csv_bytes(rows), comuna)
    assert status == 201
    before = await family_by_run(intake, rows[0][1])
    assert before["representative"]["reason"] == "hombre_jefe"
    mother = person("P-1", "Conviviente", "F", "05-05-1985")
    status, _ = await upload(intake, csv_bytes([*rows, mother]), comuna)
    assert status == 201
    after = await family_by_run(intake, rows[0][1])
    assert after["representative"]["run"] == mother[1].replace(".", "").replace("-", "").upper()
    assert after["representative"]["reason"] == "madre"
    subjects = await _outbox_subjects(intake, after["id"])
    assert subjects[-1] == "intake.evt.v1.family.representative_changed"


async def test_an_import_recorded_with_spanish_keys_still_reads_in_english(
    intake: ServiceUnderTest, comuna: str
) -> None:
    """Imports stored before the API spoke English keep their summary as it was written."""
    error = {"fila": 3, "columna": "run", "valor": "**.***.567-5", "motivo": "Dígito verificador"}
    error |= {"id_familia": "OLD-1"}
    summary = {
        "archivo": "vieja.csv", "comuna": comuna, "anio": 2025, "filas": 4,
        "familias_importadas": [], "familias_nuevas": [], "familias_actualizadas": [],
        "familias_sin_cambios": [], "familias_rechazadas": ["OLD-1"], "errores": [error],
        "errores_total": 1, "advertencias": [],
    }  # fmt: skip
    async with intake.runtime.sessions() as session, session.begin():
        old = NominaImport(
            comuna=comuna, cohort_year=2025, filename="vieja.csv", content_sha256="0" * 64,
            accept_valid=False, status="rechazada", rows=4, summary=summary, errors=[error],
            created_by="ana.operadora",
        )  # fmt: skip
        session.add(old)
    shown = await intake.client.get(f"/v1/nominas/{old.id}")
    assert shown.status_code == 200, shown.text
    record = shown.json()
    assert (record["filename"], record["cohort_year"], record["status"]) == (
        "vieja.csv", 2025, "rechazada",
    )  # fmt: skip
    assert record["families_rejected"] == ["OLD-1"]
    assert record["errors"] == [
        {"line": 3, "column": "run", "value": "**.***.567-5", "reason": "Dígito verificador",
         "family_code": "OLD-1"},
    ]  # fmt: skip
    assert record["recorded_by"] == "ana.operadora"
    report = await intake.client.get(record["error_report_url"])
    assert report.content.decode("utf-8-sig").splitlines()[1].startswith("3;run;")
