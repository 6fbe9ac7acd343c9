"""Fuzzed nómina files: whatever arrives, the reader answers with data or a Spanish error."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from services.intake.models import Family
from services.intake.nomina.reader import REQUIRED_COLUMNS, read_nomina
from services.intake.nomina.validate import check_rows
from shared.errors import ValidationFailed
from tests.conftest import ServiceUnderTest

TODAY = date(2026, 11, 23)
cell = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2", "\x00", "é" * 600, ""]),
    st.from_regex(r"\d{1,2}[-/]\d{1,2}[-/]\d{2,4}", fullmatch=True),
    st.from_regex(r"\d{1,2}\.\d{3}\.\d{3}-[\dkK]", fullmatch=True),
)


def _checked(content: bytes, name: str) -> None:
    try:
        raw = read_nomina(content, name)
    except ValidationFailed as exc:
        reason = exc.message  # a reason a person can read
        assert reason.strip()
        return
    result = check_rows(raw, today=TODAY)
    for error in result.errors:
        assert error.reason
        assert error.line >= 2
    clean = {draft.code for draft in result.families}
    assert clean.isdisjoint(result.rejected)  # never half a family


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.binary(max_size=4096), name=st.sampled_from(["n.csv", "n.xlsx", "n.json"]))
def test_random_bytes_never_crash_the_reader(content: bytes, name: str) -> None:
    _checked(content, name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(cell, min_size=0, max_size=10), min_size=1, max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]),
    delimiter=st.sampled_from([",", ";"]),
)
def test_random_cells_under_a_valid_header_are_checked_row_by_row(
    rows: list[list[str]], encoding: str, delimiter: str
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(REQUIRED_COLUMNS)
    writer.writerows(rows)
    try:
        content = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        content = buffer.getvalue().encode("utf-8")
    _checked(content, "n.csv")


@pytest.mark.slow
async def test_a_100k_row_file_of_bad_rows_is_refused_and_changes_nothing(
    intake: ServiceUnderTest,
) -> None:
    header = ",".join(REQUIRED_COLUMNS)
    row = "F-{n},15.234.567-5,Ana,Soto,F,31-02-1980,Vecina,Sí"
    content = "\n".join([header, *(row.format(n=n) for n in range(100_000))]).encode()
    response = await intake.client.post(
        "/v1/nominas",
        files={"file": ("grande.csv", content)},
        data={"comuna": "Carga", "cohort_year": "2026"},
        timeout=300,
    )
    assert response.status_code == 422
    report = response.json()
    assert report["error_count"] == 300_000  # RUT, date and relation of every row
    assert len(report["errors"]) == 1000
    assert report["families_imported"] == []
    async with intake.runtime.sessions() as session:
        families = await session.scalar(
            select(func.count()).select_from(Family).where(Family.comuna == "Carga")
        )
    assert families == 0
