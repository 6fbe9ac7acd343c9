"""Plans against a real PostgreSQL and NATS: diagnosis, plan, sessions, evaluation, abandonment."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.bus.client import Bus
from shared.contracts.envelope import Envelope
from shared.contracts.intake import FamilyAssigned, FamilyCommitted
from shared.contracts.plans import CaseOpened, OpenCase, SessionsCount, SessionsInMonth
from tests.conftest import ServiceUnderTest
from tests.support.clock import TODAY
from tests.support.waiting import eventually

AFI = {"X-Familias-Usuario": "afi.camila"}
LEVELS_ALL = ["inscripcion_salud", "controles_al_dia", "asistencia_escolar",
              "nivelacion_estudios", "empleo", "cotizacion", "ingresos_autonomos",
              "beneficios", "habitabilidad", "entorno"]  # fmt: skip


async def publish(bus: Bus, payload: Any, family_id: UUID) -> None:
    envelope = Envelope.wrap(payload, producer="tests", family_id=family_id)
    await bus.js.publish(
        bus.subject(envelope.subject),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(envelope.event_id)},
    )


async def new_case(
    plans: ServiceUnderTest, bus: Bus, *, committed: date | None = None, staff: UUID | None = None
) -> UUID:
    family_id = uuid4()
    command = OpenCase(
        idempotency_key=f"{family_id}:case",
        family_id=family_id,
        comuna="Conchalí",
        referred_on=TODAY - timedelta(days=90),
    )
    await bus.request("plans.cmd.v1.case.open", command, CaseOpened)
    if staff is not None:
        await publish(
            bus, FamilyAssigned(family_id=family_id, staff_id=staff, reason="x"), family_id
        )
    if committed is not None:
        await publish(
            bus,
            FamilyCommitted(
                family_id=family_id,
                signed_on=committed,
                representative_member_id=uuid4(),
                document_ref="carta.pdf",
            ),
            family_id,
        )

        async def case() -> dict[str, Any]:
            return dict((await plans.client.get(f"/v1/cases/{family_id}")).json())

        await eventually(case, until=lambda c: c.get("committed_on") is not None)
    return family_id


async def diagnose(plans: ServiceUnderTest, family_id: UUID, level: int = 2) -> dict[str, Any]:
    started = await plans.client.post(f"/v1/families/{family_id}/diagnosis", headers=AFI)
    assert started.status_code == 200, started.text
    items = [{"indicator": code, "level": level} for code in LEVELS_ALL]
    items[0]["level"] = 1
    saved = await plans.client.patch(
        f"/v1/families/{family_id}/diagnosis",
        json={"items": items},
        headers=AFI | {"If-Match": started.headers["ETag"]},
    )
    assert saved.status_code == 200, saved.text
    done = await plans.client.post(
        f"/v1/families/{family_id}/diagnosis/complete",
        headers=AFI | {"If-Match": saved.headers["ETag"]},
    )
    assert done.status_code == 200, done.text
    return dict(done.json())


async def signed_plan(plans: ServiceUnderTest, family_id: UUID, asl: int = 0) -> dict[str, Any]:
    draft = await plans.client.put(
        f"/v1/families/{family_id}/plan",
        json={
            "asl_adults": asl,
            "goals": [
                {
                    "dimension": "salud",
                    "description": "Inscribir a todos en el CESFAM",
                    "actions": ["Acompañar a la inscripción"],
                },
                {"dimension": "educacion", "description": "Asistencia escolar sobre 85 %"},
            ],
        },
        headers=AFI,
    )
    assert draft.status_code == 200, draft.text
    signed = await plans.client.post(
        f"/v1/families/{family_id}/plan/sign",
        json={"signed_on": TODAY.isoformat()},
        headers=AFI | {"If-Match": draft.headers["ETag"]},
    )
    assert signed.status_code == 200, signed.text
    return dict(signed.json())


def session(
    kind: str = "aps_individual", day: date = TODAY, attendance: str = "asistio"
) -> dict[str, Any]:
    return {
        "held_on": day.isoformat(),
        "kind": kind,
        "attendance": attendance,
        "dimensions": ["salud"],
    }


async def test_the_catalog_lists_each_dimension_with_its_indicators_and_levels(
    plans: ServiceUnderTest,
) -> None:
    dimensions = (await plans.client.get("/v1/catalog")).json()
    indicators = [i for d in dimensions for i in d["indicators"]]
    assert sorted(i["code"] for i in indicators) == sorted(LEVELS_ALL)
    health = next(d for d in dimensions if d["code"] == "salud")
    assert health["name"] == "Salud"
    assert health["indicators"][0]["levels"][0] == {"level": 1, "name": "Crítico"}
    assert health["indicators"][0]["critical_at"] == 1


async def test_the_whole_plan_from_diagnosis_to_evaluation(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    family_id = await new_case(plans, it_bus, committed=TODAY - timedelta(days=20))
    diagnosis = await diagnose(plans, family_id)
    assert diagnosis["status"] == "completado"
    assert diagnosis["completed_by"] == "afi.camila"
    plan = await signed_plan(plans, family_id, asl=1)
    assert plan["status"] == "firmado"
    assert plan["trajectory"] == "doble"
    recorded = await plans.client.post(
        f"/v1/families/{family_id}/sessions", json=session("asl"), headers=AFI
    )
    assert recorded.status_code == 201, recorded.text

    goal = plan["goals"][0]["id"]
    evaluation = await plans.client.post(
        f"/v1/families/{family_id}/evaluation",
        json={
            "items": [{"indicator": c, "level": 3} for c in LEVELS_ALL],
            "goals_achieved": [goal],
        },
        headers=AFI,
    )
    assert evaluation.status_code == 201, evaluation.text
    rows = {row["indicator"]: row for row in evaluation.json()}
    assert rows["inscripcion_salud"]["before"] == 1
    assert rows["inscripcion_salud"]["after"] == 3
    assert rows["inscripcion_salud"]["change"] == 2


async def test_a_session_before_commitment_is_refused_with_the_reason(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    family_id = await new_case(plans, it_bus)
    refused = await plans.client.post(
        f"/v1/families/{family_id}/sessions", json=session(), headers=AFI
    )
    assert refused.status_code == 409
    assert "no está en acompañamiento" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (session(day=TODAY + timedelta(days=1)), "futura"),
        (session(day=TODAY - timedelta(days=400)), "anterior a la carta de compromiso"),
        (session("asl"), "sociolaboral"),
    ],
    ids=["future", "before-commitment", "asl-without-asl"],
)
async def test_session_validations(
    plans: ServiceUnderTest, it_bus: Bus, body: dict[str, Any], fragment: str
) -> None:
    family_id = await new_case(plans, it_bus, committed=TODAY - timedelta(days=30))
    response = await plans.client.post(f"/v1/families/{family_id}/sessions", json=body, headers=AFI)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["detail"]


async def test_a_duplicate_session_answers_the_existing_one(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    family_id = await new_case(plans, it_bus, committed=TODAY - timedelta(days=30))
    first = await plans.client.post(
        f"/v1/families/{family_id}/sessions", json=session(), headers=AFI
    )
    again = await plans.client.post(
        f"/v1/families/{family_id}/sessions", json=session(), headers=AFI
    )
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other_professional = await plans.client.post(
        f"/v1/families/{family_id}/sessions", json=session(), headers={"X-Familias-Usuario": "otra"}
    )
    assert other_professional.status_code == 201
    listed = await plans.client.get(f"/v1/families/{family_id}/sessions")
    assert len(listed.json()) == 2
    this_month = {"year": TODAY.year, "month": TODAY.month}
    in_month = await plans.client.get(f"/v1/families/{family_id}/sessions", params=this_month)
    assert [s["id"] for s in in_month.json()] == [s["id"] for s in listed.json()]
    next_year = await plans.client.get(
        f"/v1/families/{family_id}/sessions", params={"year": TODAY.year + 1}
    )
    assert next_year.json() == []


async def test_the_workflow_counts_sessions_of_a_month_against_the_minimum(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    start = TODAY.replace(day=1) - timedelta(days=40)
    family_id = await new_case(plans, it_bus, committed=start)
    await diagnose(plans, family_id)
    await signed_plan(plans, family_id)
    last_month = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=5)
    for body in (
        session(day=last_month),
        session("visita_domiciliaria", day=last_month, attendance="no_ubicada"),
        session("taller", day=last_month),
        session("seguimiento_remoto", day=last_month),
        session(day=TODAY.replace(day=1)),
    ):
        response = await plans.client.post(
            f"/v1/families/{family_id}/sessions", json=body, headers=AFI
        )
        assert response.status_code == 201, response.text
    count = await it_bus.request(
        "plans.qry.v1.sessions.month",
        SessionsInMonth(family_id=family_id, year=last_month.year, month=last_month.month),
        SessionsCount,
    )
    assert count.held == 4
    assert count.attended == 3
    # Only the APS session counts: a workshop does not, remote only in a health emergency.
    assert count.counted_in_month == 1
    assert count.counted_total == 1
    assert count.minimum_total == 12


async def test_concurrent_edits_of_a_draft_are_detected_not_lost(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    family_id = await new_case(plans, it_bus, committed=TODAY - timedelta(days=5))
    started = await plans.client.post(f"/v1/families/{family_id}/diagnosis", headers=AFI)
    etag = started.headers["ETag"]
    url = f"/v1/families/{family_id}/diagnosis"
    mine = await plans.client.patch(
        url, json={"items": [{"indicator": "empleo", "level": 2}]}, headers=AFI | {"If-Match": etag}
    )
    assert mine.status_code == 200
    theirs = await plans.client.patch(
        url, json={"items": [{"indicator": "empleo", "level": 4}]}, headers=AFI | {"If-Match": etag}
    )
    assert theirs.status_code == 412
    assert "Recárguelo" in theirs.json()["detail"]
    assert theirs.json()["current_version"] == 2
    current = await plans.client.get(url)
    assert current.json()["items"] == [
        {"indicator": "empleo", "level": 2, "notes": None, "members": []}
    ]


async def test_an_incomplete_diagnosis_cannot_be_completed(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    family_id = await new_case(plans, it_bus, committed=TODAY - timedelta(days=5))
    await plans.client.post(f"/v1/families/{family_id}/diagnosis", headers=AFI)
    response = await plans.client.post(f"/v1/families/{family_id}/diagnosis/complete")
    assert response.status_code == 422
    assert "Faltan indicadores por evaluar" in response.json()["detail"]
    assert len(response.json()["missing"]) == len(LEVELS_ALL)
    bad = await plans.client.patch(
        f"/v1/families/{family_id}/diagnosis", json={"items": [{"indicator": "empleo", "level": 9}]}
    )
    assert bad.status_code == 422
    assert "no existe" in bad.json()["detail"]


async def test_a_signed_plan_never_changes_a_revision_is_a_new_draft(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    family_id = await new_case(plans, it_bus, committed=TODAY - timedelta(days=5))
    await diagnose(plans, family_id)
    first = await signed_plan(plans, family_id)
    revised = await plans.client.put(
        f"/v1/families/{family_id}/plan",
        json={"goals": [{"dimension": "trabajo", "description": "Buscar empleo formal"}]},
    )
    assert revised.json()["revision"] == 2
    assert revised.json()["status"] == "borrador"
    plans_list = (await plans.client.get(f"/v1/families/{family_id}/plans")).json()
    assert [(p["revision"], p["status"]) for p in plans_list] == [(1, "firmado"), (2, "borrador")]
    assert plans_list[0]["goals"] == first["goals"]


async def test_the_abandonment_procedure_follows_its_order(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    family_id = await new_case(plans, it_bus, committed=TODAY - timedelta(days=90))
    url = f"/v1/families/{family_id}/abandonment-records"
    day = TODAY.isoformat()
    early = await plans.client.post(url, json={"kind": "visita", "dated": day, "content": "Visita"})
    assert early.status_code == 409
    assert "falta antes aviso" in early.json()["detail"]
    for kind in ("aviso", "visita", "informe"):
        response = await plans.client.post(url, json={"kind": kind, "dated": day, "content": kind})
        assert response.status_code == 201, response.text
    no_choice = await plans.client.post(
        url, json={"kind": "recomendacion", "dated": day, "content": "Se recomienda"}
    )
    assert no_choice.status_code == 422
    done = await plans.client.post(
        url,
        json={
            "kind": "recomendacion",
            "dated": day,
            "content": "Sin contacto",
            "recommendation": "egreso",
        },
        headers=AFI,
    )
    assert done.status_code == 201
    assert done.json()["author"] == "afi.camila"


async def test_tasks_list_what_is_due_and_overdue_for_one_professional(
    plans: ServiceUnderTest, it_bus: Bus
) -> None:
    afi = uuid4()
    late = await new_case(plans, it_bus, committed=TODAY - timedelta(days=45), staff=afi)
    recent = await new_case(plans, it_bus, committed=TODAY - timedelta(days=3), staff=afi)
    planned = await new_case(plans, it_bus, committed=TODAY - timedelta(days=60), staff=afi)
    await diagnose(plans, planned)
    await signed_plan(plans, planned)

    async def listed() -> list[dict[str, Any]]:
        response = await plans.client.get("/v1/tasks", params={"professional": str(afi)})
        return list(response.json())

    tasks = await eventually(listed, until=lambda t: len(t) == 3)
    by_family = {t["family_id"]: t for t in tasks}
    assert by_family[str(late)]["kind"] == "completar_diagnostico"
    assert by_family[str(late)]["overdue"] is True
    assert by_family[str(recent)]["overdue"] is False
    assert by_family[str(planned)]["kind"] == "sesion_del_mes"
    assert tasks[0]["family_id"] == str(late)  # overdue first
