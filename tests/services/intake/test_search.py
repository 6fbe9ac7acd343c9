"""Intake's family search: RUT in any format, name without caring for case or accents."""

from __future__ import annotations

from uuid import uuid4

from tests.conftest import ServiceUnderTest
from tests.support.data import family_payload


async def _register(intake: ServiceUnderTest, surname: str) -> tuple[dict[str, object], str]:
    payload = family_payload()
    payload["members"][0]["paternal_surname"] = surname
    created = await intake.client.post("/v1/families", json=payload)
    assert created.status_code == 201, created.text
    return created.json(), payload["members"][0]["run"]


async def test_a_family_is_found_by_rut_written_any_way(intake: ServiceUnderTest) -> None:
    family, run = await _register(intake, "Search")
    compact = run.replace(".", "").replace("-", "")
    for written in (run, compact, run.replace(".", ""), compact.lower()):
        found = (await intake.client.get("/v1/families/search", params={"q": written})).json()
        assert [f["id"] for f in found] == [family["id"]], written


async def test_a_family_is_found_by_part_of_a_name_ignoring_case_and_accents(
    intake: ServiceUnderTest,
) -> None:
    surname = f"Ñuñez{uuid4().hex[:6]}"
    family, _ = await _register(intake, surname)
    tail = surname[-6:]
    for written in (f"ana maria nunez{tail}", f"NÚÑEZ{tail.upper()}", f"María Ñuñez{tail}"):
        found = (await intake.client.get("/v1/families/search", params={"q": written})).json()
        assert [f["id"] for f in found] == [family["id"]], written


async def test_a_family_is_found_by_its_nomina_code_and_wildcards_match_nothing(
    intake: ServiceUnderTest,
) -> None:
    family, _ = await _register(intake, "Codigo")
    found = (
        await intake.client.get("/v1/families/search", params={"q": family["family_code"]})
    ).json()
    assert [f["id"] for f in found] == [family["id"]]
    everything = (await intake.client.get("/v1/families/search", params={"q": "%_%"})).json()
    assert everything == []
