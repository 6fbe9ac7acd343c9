"""Nómina import throughput: 10,000 rows through the importer, against raw COPY of them.

The importer reads the CSV, validates every row (RUT check digit, dates, relations, family
rules), checks the registry for people active elsewhere, chooses representatives and writes
families, members, versions, events and the import record in one transaction. The
reference is PostgreSQL's `COPY` of the same 10,000 member rows into a table of the same
shape: the fastest way the rows can reach the database at all. Rounds alternate the two.
"""

from __future__ import annotations

import csv
import io
import random
import statistics
import time
from datetime import date
from uuid import uuid4

import asyncpg
from stdnum.cl import rut as stdnum_rut

from bench.support import bench_servers, migrated_database
from services.intake.importer import ImportRequest, NominaImporter
from services.intake.main import MIGRATIONS
from services.intake.nomina.reader import read_nomina
from services.intake.nomina.validate import check_rows
from shared.db.engine import (
    asyncpg_dsn,
    create_engine,
    create_session_factory,
)
from shared.settings import Settings

HEADER = [
    "id_familia", "run", "nombres", "apellido_paterno", "apellido_materno", "sexo",
    "fecha_nacimiento", "parentesco", "jefe_hogar", "direccion", "comuna", "telefono",
    "tramo_rsh", "ingreso_per_capita",
]  # fmt: skip
TODAY = date(2026, 3, 1)


def nomina_csv(rows: int, seed: int) -> bytes:
    """Families of three (head, partner, child) with RUTs unique to this seed."""
    rng = random.Random(seed)
    start = 5_000_000 + seed * 1_000_000  # disjoint per round: nobody is active twice
    bodies = rng.sample(range(start, start + 1_000_000), rows)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for index, body in enumerate(bodies):
        family, role = divmod(index, 3)
        run = stdnum_rut.format(f"{body}{stdnum_rut.calc_check_digit(str(body))}")
        relation, sex, born, head = [
            ("Jefa de hogar", "F", "14-03-1986", "Sí"),
            ("Conviviente", "M", "02-07-1984", "No"),
            ("Hijo", "M", "21-09-2015", "No"),
        ][role]
        writer.writerow(
            [f"B-{seed}-{family:05d}", run, "Nombre Apellido", "Pérez", "Soto", sex, born,
             relation, head, "Pasaje Los Aromos 1234", "Conchalí", "+56912345678", "40",
             "38000"]
        )  # fmt: skip
    return out.getvalue().encode("utf-8")


async def copy_reference(dsn: str, content: bytes) -> float:
    """COPY the same rows, already parsed, into a scratch table shaped like `members`."""
    rows = [
        (uuid4(), uuid4(), 0, stdnum_rut.compact(r.cells["run"]), r.cells["nombres"],
         r.cells["apellido_paterno"], r.cells["apellido_materno"], r.cells["sexo"],
         date(1986, 3, 14), r.cells["parentesco"],
         r.cells["jefe_hogar"] == "Sí", r.cells["direccion"], r.cells["comuna"],
         r.cells["telefono"], 40, 38000)
        for r in read_nomina(content, "n.csv").rows
    ]  # fmt: skip
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "CREATE TEMP TABLE IF NOT EXISTS copy_members (LIKE members INCLUDING DEFAULTS)"
        )
        await connection.execute("TRUNCATE copy_members")
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table(
                "copy_members",
                records=rows,
                columns=[
                    "id", "family_id", "position", "run", "given_names", "paternal_surname",
                    "maternal_surname", "sex", "birth_date", "relation", "is_household_head",
                    "address", "comuna", "phone", "rsh_bracket", "per_capita_income",
                ],
            )  # fmt: skip
        return time.perf_counter() - started
    finally:
        await connection.close()


async def main(*, events: int, rounds: int) -> None:
    rows = events if events != 20_000 else 10_000
    with bench_servers() as stack:
        await _run(stack.settings, rows, rounds)


async def _run(settings: Settings, rows: int, rounds: int) -> None:
    url = await migrated_database(settings, "intake", MIGRATIONS)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    importer = NominaImporter()
    imports: list[float] = []
    parses: list[float] = []
    copies: list[float] = []
    try:
        for round_number in range(rounds):
            content = nomina_csv(rows, seed=round_number)
            started = time.perf_counter()
            check_rows(read_nomina(content, "n.csv"), today=TODAY)
            parses.append(time.perf_counter() - started)
            request = ImportRequest(
                content=content,
                filename="bench.csv",
                comuna=f"Bench {round_number}",
                cohort_year=2026,
                accept_valid=False,
                actor="bench",
                today=TODAY,
                caseload_limit=40,
            )
            started = time.perf_counter()
            async with sessions() as session, session.begin():
                summary = await importer.run(session, request)
            imports.append(time.perf_counter() - started)
            if summary.status != "importada" or summary.errors:
                raise RuntimeError(f"la importación falló: {summary.errors[:3]}")
            copies.append(await copy_reference(asyncpg_dsn(url), content))
    finally:
        await engine.dispose()
    print(f"importación de nómina — {rounds} rondas, {rows} filas ({rows // 3} familias)")
    print(f"  COPY de las mismas filas:       {_seconds(copies)}")
    print(f"  lectura + validación (sin BD):  {_seconds(parses)}")
    print(f"  importación completa:           {_seconds(imports)}")
    ratios = [i / c for i, c in zip(imports, copies, strict=True)]
    print(
        f"  razón importación / COPY:       mediana {statistics.median(ratios):.1f} "
        f"(mín {min(ratios):.1f}, máx {max(ratios):.1f})"
    )


def _seconds(values: list[float]) -> str:
    return (
        f"mediana {statistics.median(values):.3f} s (mín {min(values):.3f}, máx {max(values):.3f})"
    )
