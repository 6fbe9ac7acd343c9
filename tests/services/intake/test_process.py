"""Contact, invitation, commitment, move and closure: facts, their rules and their events."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text

from shared.bus.client import Bus
from shared.contracts.intake import (
    CloseFamily,
    FamilyClosed,
    FamilyRepresentative,
    GetRepresentative,
)
from shared.errors import IllegalTransition, NotFound
from tests.conftest import ServiceUnderTest
from tests.support.clock import TODAY
from tests.support.data import family_payload

HEADERS = {"X-Familias-Usuario": "afi.carolina"}


async def new_family(intake: ServiceUnderTest) -> dict[str, Any]:
    response = await intake.client.post("/v1/families", json=family_payload(), headers=HEADERS)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def post(
    intake: ServiceUnderTest,
    family: dict[str, Any],
    path: str,
    body: dict[str, Any],
    **headers: str,
) -> Any:
    return await intake.client.post(
        f"/v1/families/{family['id']}/{path}", json=body, headers=HEADERS | headers
    )


def contact(result: str = "localizada", day: date = TODAY) -> dict[str, Any]:
    return {"attempted_on": day.isoformat(), "channel": "visita", "result": result}


async def subjects(intake: ServiceUnderTest, family_id: str) -> list[str]:
    async with intake.runtime.sessions() as session:
        rows = await session.execute(
            text("SELECT subject FROM outbox WHERE payload->>'family_id' = :id ORDER BY seq"),
            {"id": family_id},
        )
    return [s.removeprefix("intake.evt.v1.family.") for (s,) in rows]


async def test_from_first_visit_to_signed_commitment(intake: ServiceUnderTest) -> None:
    family = await new_family(intake)
    missed = await post(intake, family, "contacts", contact("no_localizada"))
    assert missed.status_code == 201
    found = await post(intake, family, "contacts", contact())
    assert found.json()["recorded_by"] == "afi.carolina"
    invited = await post(
        intake, family, "invitation", {"invited_on": TODAY.isoformat(), "result": "acepta"}
    )
    assert invited.status_code == 200, invited.text
    signed = await post(
        intake, family, "commitment",
        {"signed_on": TODAY.isoformat(), "document": "carta-2026-001.pdf"},
    )  # fmt: skip
    assert signed.status_code == 200, signed.text
    state = signed.json()
    assert state["located_on"] == state["committed_on"] == TODAY.isoformat()
    assert state["invitation_accepted"] is True
    assert await subjects(intake, family["id"]) == [
        "referred", "contacted", "contacted", "invited", "committed",
    ]  # fmt: skip
    listed = await intake.client.get(f"/v1/families/{family['id']}/contacts")
    assert [c["result"] for c in listed.json()] == ["no_localizada", "localizada"]


@pytest.mark.parametrize(
    ("steps", "path", "body", "status", "fragment"),
    [
        ([], "invitation", {"result": "acepta"}, 409, "localizada"),
        ([("contacts", contact())], "commitment", {"document": "x.pdf"}, 409, "aceptar"),
        ([("contacts", contact())], "invitation", {"result": "rechaza"}, 422, "motivo"),
        ([], "contacts", contact(day=TODAY + timedelta(days=1)), 422, "futura"),
        ([], "contacts", contact(day=date(2000, 1, 1)), 422, "anterior a la derivación"),
    ],
    ids=["invite-unlocated", "commit-uninvited", "decline-without-reason", "future", "too-early"],
)
async def test_facts_out_of_order_are_refused_with_the_reason(
    intake: ServiceUnderTest,
    steps: list[tuple[str, dict[str, Any]]],
    path: str,
    body: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    family = await new_family(intake)
    for step_path, step_body in steps:
        assert (await post(intake, family, step_path, step_body)).status_code < 300
    day = {"contacts": "attempted_on", "invitation": "invited_on", "commitment": "signed_on"}
    dated = {day[path]: TODAY.isoformat()}
    response = await post(intake, family, path, dated | body)
    assert response.status_code == status, response.text
    assert fragment in response.json()["detail"]


async def test_a_resent_request_with_the_same_key_records_once(intake: ServiceUnderTest) -> None:
    family = await new_family(intake)
    key = str(uuid4())
    first = await post(intake, family, "contacts", contact(), **{"Idempotency-Key": key})
    again = await post(intake, family, "contacts", contact(), **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    listed = await intake.client.get(f"/v1/families/{family['id']}/contacts")
    assert len(listed.json()) == 1
    other = await post(
        intake, family, "contacts", contact("no_localizada"), **{"Idempotency-Key": key}
    )
    assert other.status_code == 409
    assert await subjects(intake, family["id"]) == ["referred", "contacted"]


async def test_one_key_on_two_families_or_two_routes_records_each_and_answers_each_its_own(
    intake: ServiceUnderTest,
) -> None:
    first, second = await new_family(intake), await new_family(intake)
    key = {"Idempotency-Key": str(uuid4())}  # e.g. a client that reuses its keys
    mine = await post(intake, first, "contacts", contact(), **key)
    theirs = await post(intake, second, "contacts", contact(), **key)
    assert mine.status_code == theirs.status_code == 201, theirs.text
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    for family, answer in ((first, mine), (second, theirs)):
        listed = await intake.client.get(f"/v1/families/{family['id']}/contacts")
        assert [c["id"] for c in listed.json()] == [answer.json()["id"]]
        assert await subjects(intake, family["id"]) == ["referred", "contacted"]
    # Another route of the same family is another request too.
    invited = await post(
        intake, first, "invitation", {"invited_on": TODAY.isoformat(), "result": "acepta"}, **key
    )
    assert invited.status_code == 200, invited.text
    assert "Idempotent-Replayed" not in invited.headers
    assert invited.json()["invitation_accepted"] is True
    # Each scope still replays its own first answer, and refuses another body.
    again = await post(intake, second, "contacts", contact(), **key)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == theirs.json()
    refused = await post(intake, second, "contacts", contact("no_localizada"), **key)
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "La clave de idempotencia ya se usó con otra solicitud; no se aplicó"
    )
    assert await subjects(intake, second["id"]) == ["referred", "contacted"]


async def test_payments_reads_the_representative_and_the_workflow_closes_the_family_once(
    intake: ServiceUnderTest, it_bus: Bus
) -> None:
    family = await new_family(intake)
    subject = "intake.qry.v1.family.representative"
    answer = await it_bus.request(
        subject, GetRepresentative(family_id=family["id"]), FamilyRepresentative
    )
    assert answer.representative is not None
    shown = family["representative"]
    assert (answer.representative.run, answer.representative.name) == (shown["run"], shown["name"])

    close = CloseFamily(
        idempotency_key=f"{family['id']}:egreso",
        family_id=family["id"],
        exit_cause="renuncia",
        exited_on=TODAY,
    )
    first = await it_bus.request("intake.cmd.v1.family.close", close, FamilyClosed)
    again = await it_bus.request("intake.cmd.v1.family.close", close, FamilyClosed)
    assert first == again
    other = close.model_copy(update={"idempotency_key": "otra", "exit_cause": "abandono"})
    with pytest.raises(IllegalTransition):
        await it_bus.request("intake.cmd.v1.family.close", other, FamilyClosed)

    refused = await post(intake, family, "contacts", contact())
    assert refused.status_code == 409
    assert "egresó" in refused.json()["detail"]
    with pytest.raises(NotFound):
        await it_bus.request(subject, GetRepresentative(family_id=uuid4()), FamilyRepresentative)


async def test_a_move_changes_the_comuna_and_frees_the_professional(
    intake: ServiceUnderTest,
) -> None:
    family = await new_family(intake)
    moved = await post(
        intake, family, "move", {"to_comuna": "Renca", "moved_on": TODAY.isoformat()}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["comuna"] == "Renca"
    shown = (await intake.client.get(f"/v1/families/{family['id']}")).json()
    assert shown["apoyo_familiar_id"] is None
    assert (await subjects(intake, family["id"]))[-1] == "moved"
    same = await post(intake, family, "move", {"to_comuna": "renca", "moved_on": TODAY.isoformat()})
    assert same.status_code == 422
