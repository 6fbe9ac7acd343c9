"""Intake's HTTP surface: register a family, find it by RUN in any format, clear refusals."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import ServiceUnderTest
from tests.support.data import family_payload, random_rut


async def test_registering_a_family_stores_it_and_its_referral_event_together(
    intake: ServiceUnderTest,
) -> None:
    payload = family_payload(members=3)
    response = await intake.client.post(
        "/v1/families", json=payload, headers={"X-Familias-Usuario": "ana.perez"}
    )
    assert response.status_code == 201, response.text
    family = response.json()
    assert family["family_code"] == payload["family_code"]
    assert len(family["members"]) == 3
    async with intake.runtime.sessions() as session:
        events = (
            await session.execute(
                text("SELECT subject, payload FROM outbox WHERE payload->>'family_id' = :id"),
                {"id": family["id"]},
            )
        ).all()
    assert [e.subject for e in events] == ["intake.evt.v1.family.referred"]
    assert events[0].payload["actor"] == "ana.perez"
    assert payload["members"][0]["run"] not in str(events[0].payload)


async def test_a_family_is_found_by_the_run_of_any_member_in_any_format(
    intake: ServiceUnderTest,
) -> None:
    payload = family_payload()
    created = (await intake.client.post("/v1/families", json=payload)).json()
    child_run = payload["members"][1]["run"]
    for written in (
        child_run,
        child_run.replace(".", ""),
        child_run.replace(".", "").replace("-", ""),
    ):
        found = (await intake.client.get("/v1/families", params={"run": written})).json()
        assert [f["id"] for f in found] == [created["id"]]


async def test_an_invalid_rut_is_refused_with_a_spanish_problem(intake: ServiceUnderTest) -> None:
    payload = family_payload()
    payload["members"][0]["run"] = "12.345.678-9"
    response = await intake.client.post("/v1/families", json=payload)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "validacion"
    assert "dígito verificador" in problem["detail"]
    assert problem["errors"][0]["field"] == "members.0.run"


async def test_a_missing_field_is_named_in_spanish(intake: ServiceUnderTest) -> None:
    payload = family_payload()
    del payload["comuna"]
    problem = (await intake.client.post("/v1/families", json=payload)).json()
    assert {"field": "comuna", "reason": "campo obligatorio"} in problem["errors"]


async def test_a_person_already_active_in_another_family_is_refused(
    intake: ServiceUnderTest,
) -> None:
    first = family_payload()
    assert (await intake.client.post("/v1/families", json=first)).status_code == 201
    second = family_payload()
    second["members"][0]["run"] = first["members"][0]["run"]
    response = await intake.client.post("/v1/families", json=second)
    assert response.status_code == 409
    assert "otra familia" in response.json()["detail"]


async def test_registering_the_same_family_code_twice_is_a_conflict_and_creates_nothing(
    intake: ServiceUnderTest,
) -> None:
    payload = family_payload()
    assert (await intake.client.post("/v1/families", json=payload)).status_code == 201
    again = dict(payload, members=[{**payload["members"][0], "run": random_rut()}])
    response = await intake.client.post("/v1/families", json=again)
    assert response.status_code == 409
    assert payload["family_code"] in response.json()["detail"]


async def test_unknown_routes_and_ids_answer_in_spanish(intake: ServiceUnderTest) -> None:
    missing = await intake.client.get("/v1/families/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert "No existe" in missing.json()["detail"]
    nowhere = await intake.client.get("/v1/nada")
    assert nowhere.json()["detail"] == "La ruta solicitada no existe"


async def test_readiness_reports_each_dependency(intake: ServiceUnderTest) -> None:
    ready = await intake.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["dependencies"] == {"postgresql": "ok", "nats": "ok"}
