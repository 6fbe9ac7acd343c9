"""The console's pure parts: RUT masking, the org tree, bar charts, safe redirects."""

from __future__ import annotations

import logging

import pytest

from services.supervision.web.charts import Bar, bar_chart
from services.supervision.web.org_chart_page import org_tree
from services.supervision.web.rendering import local_path
from services.supervision.web.roles import Profile, masked_rut, shown_rut
from services.supervision.web.search_page import SEARCH_PATH


def test_a_masked_rut_keeps_only_the_first_digits_and_the_check_digit() -> None:
    assert masked_rut("12.345.678-5") == "12.***.***-5"
    assert masked_rut("123456785") == "12.***.***-5"
    assert masked_rut("9.876.543-k") == "9.***.***-K"


def test_only_profiles_that_work_with_the_family_see_the_full_rut() -> None:
    assert shown_rut(Profile.UNIT_HEAD, "123456785") == "12.345.678-5"
    assert shown_rut(Profile.FAMILY_SUPPORT, "123456785") == "12.345.678-5"
    assert shown_rut(Profile.PAYMENTS_OFFICER, "123456785") == "12.345.678-5"
    assert shown_rut(Profile.FOSIS_SUPERVISOR, "123456785") == "12.***.***-5"
    assert shown_rut(Profile.AUDITOR, "123456785") == "12.***.***-5"


def _person(ident: str, head: str | None) -> dict[str, object]:
    return {"id": ident, "reports_to_id": head, "name": ident}


def test_the_org_tree_hangs_people_under_their_head_and_never_loses_anyone() -> None:
    staff = [_person("jefa", None), _person("af1", "jefa"), _person("af2", "jefa")]
    staff += [_person("a", "b"), _person("b", "a"), _person("huerfano", "no-existe")]
    roots = org_tree(staff)
    by_id = {r.person["id"]: r for r in roots}
    assert set(by_id) == {"jefa", "a", "b", "huerfano"}
    assert [r.person["id"] for r in by_id["jefa"].reports] == ["af1", "af2"]


def test_a_bar_chart_is_accessible_svg_and_marks_a_caseload_over_its_limit() -> None:
    svg = str(bar_chart("Carga <equipo>", [Bar("Ana", 45, 40), Bar("Luis", 10, 40)]))
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert "<title>Carga &lt;equipo&gt;</title>" in svg
    assert svg.count("#b3261e") == 1
    assert "45/40" in svg
    assert "10/40" in svg


def test_after_a_form_the_console_only_goes_back_to_its_own_pages() -> None:
    assert local_path("/familias/x?y=1") == "/familias/x?y=1"
    for outside in ("https://example.org", "//example.org", "/\\example.org", "", None):
        assert local_path(outside) == "/"


def test_the_search_query_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info("HTTP Request: GET %s?q=Ana+Gonz%%C3%%A1lez", SEARCH_PATH)
        logging.getLogger("httpx").info("HTTP Request: GET /v1/staff")
    assert [r.getMessage() for r in caplog.records] == ["HTTP Request: GET /v1/staff"]
