"""Known programme data built through the services' own APIs, for tests that count it.

Each test passes its own comuna (`unique_comuna()`), so the counts it reads back are exact
whatever else the session's databases hold. Facts are dated from the services' fixed today
(tests/support/clock.py) unless a test says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.bus.client import Bus
from shared.contracts.envelope import Envelope
from shared.contracts.intake import CloseFamily, ExitCause, FamilyClosed, FamilyCommitted
from shared.contracts.lifecycle import FamilyExited
from shared.contracts.plans import CaseOpened, OpenCase
from tests.support.clock import TODAY
from tests.support.data import family_payload
from tests.support.waiting import eventually

AFI = {"X-Familias-Usuario": "afi.estadisticas"}
INDICATORS = ["inscripcion_salud", "controles_al_dia", "asistencia_escolar",
              "nivelacion_estudios", "empleo", "cotizacion", "ingresos_autonomos",
              "beneficios", "habitabilidad", "entorno"]  # fmt: skip


def unique_comuna(prefix: str = "Prueba") -> str:
    return f"{prefix} {uuid4().hex[:10]}"


@dataclass
class IntakeFamily:
    """A family as intake holds it, and what was recorded for it."""

    id: str
    payload: dict[str, Any]
    referred_on: date
    facts: list[str] = field(default_factory=list)

    @property
    def persons(self) -> int:
        return len(self.payload["members"])

    @property
    def runs(self) -> list[str]:
        return [m["run"] for m in self.payload["members"]]

    @property
    def rut_forms(self) -> list[str]:
        """Every way a RUT may be written: 12.345.678-5, 12345678-5, 123456785, 12345678."""
        forms = []
        for run in self.runs:
            compact = run.replace(".", "").replace("-", "")
            forms += [run, run.replace(".", ""), compact, compact.lower(), compact[:-1]]
        return forms

    @property
    def names(self) -> list[str]:
        members = self.payload["members"]
        return [f"{m['given_names']} {m['paternal_surname']}" for m in members] + [
            m["paternal_surname"] for m in members
        ]


async def refer(
    intake: httpx.AsyncClient,
    comuna: str,
    *,
    members: int = 2,
    on: date | None = TODAY,
    surname: str = "González",
) -> IntakeFamily:
    """A family referred `on` that day, or (None) on the day intake's clock says it is."""
    payload = family_payload(members=members, comuna=comuna)
    if on is not None:
        payload |= {"cohort_year": on.year, "referred_on": on.isoformat()}
    for member in payload["members"]:
        member["paternal_surname"] = surname
    response = await intake.post("/v1/families", json=payload, headers=AFI)
    assert response.status_code == 201, response.text
    answer = response.json()
    return IntakeFamily(
        id=answer["id"], payload=payload, referred_on=date.fromisoformat(answer["referred_on"])
    )


async def _post(intake: httpx.AsyncClient, family: IntakeFamily, path: str, body: Any) -> None:
    response = await intake.post(f"/v1/families/{family.id}/{path}", json=body, headers=AFI)
    assert response.status_code < 300, response.text


async def contact(
    intake: httpx.AsyncClient,
    family: IntakeFamily,
    *,
    on: date = TODAY,
    channel: str = "visita",
    located: bool = True,
) -> None:
    result = "localizada" if located else "no_localizada"
    await _post(intake, family, "contacts", {"attempted_on": on.isoformat(), "channel": channel,
                                              "result": result})  # fmt: skip


async def invite(
    intake: httpx.AsyncClient, family: IntakeFamily, *, on: date = TODAY, accepts: bool = True
) -> None:
    body: dict[str, Any] = {
        "invited_on": on.isoformat(),
        "result": "acepta" if accepts else "rechaza",
    }
    if not accepts:
        body["reason"] = "No desea participar"
    await _post(intake, family, "invitation", body)


async def commit(intake: httpx.AsyncClient, family: IntakeFamily, *, on: date = TODAY) -> None:
    await _post(intake, family, "commitment", {"signed_on": on.isoformat(),
                                                "document": "carta.pdf"})  # fmt: skip


async def close(bus: Bus, family: IntakeFamily, cause: ExitCause, *, on: date = TODAY) -> None:
    """The workflow's *egreso*, sent as the workflow sends it."""
    command = CloseFamily(
        idempotency_key=f"{family.id}:egreso", family_id=family.id, exit_cause=cause, exited_on=on
    )
    await bus.request("intake.cmd.v1.family.close", command, FamilyClosed)


async def open_case(
    plans: httpx.AsyncClient,
    bus: Bus,
    comuna: str,
    *,
    family_id: UUID | None = None,
    committed: date | None = None,
) -> UUID:
    """Plans' case file as the workflow opens it; the commitment as intake announces it."""
    family_id = family_id or uuid4()
    command = OpenCase(
        idempotency_key=f"{family_id}:case",
        family_id=family_id,
        comuna=comuna,
        referred_on=TODAY - timedelta(days=90),
    )
    await bus.request("plans.cmd.v1.case.open", command, CaseOpened)
    if committed is not None:
        event = FamilyCommitted(
            family_id=family_id,
            signed_on=committed,
            representative_member_id=uuid4(),
            document_ref="carta.pdf",
        )
        envelope = Envelope.wrap(event, producer="tests", family_id=family_id)
        await bus.js.publish(
            bus.subject(envelope.subject),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(envelope.event_id)},
        )
        await wait_committed(plans, family_id)
    return family_id


async def exit_case(
    plans: httpx.AsyncClient, bus: Bus, family_id: UUID, cause: str, *, on: date = TODAY
) -> None:
    """The workflow's exit event, as plans learns it."""
    envelope = Envelope.wrap(
        FamilyExited(family_id=family_id, exit_cause=cause, exited_on=on),
        producer="tests",
        family_id=family_id,
    )
    await bus.js.publish(
        bus.subject(envelope.subject),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(envelope.event_id)},
    )

    async def case() -> dict[str, Any]:
        return dict((await plans.get(f"/v1/cases/{family_id}")).json())

    await eventually(case, until=lambda c: c.get("exited_on") is not None)


async def wait_committed(plans: httpx.AsyncClient, family_id: UUID) -> None:
    async def case() -> dict[str, Any]:
        return dict((await plans.get(f"/v1/cases/{family_id}")).json())

    await eventually(case, until=lambda c: c.get("committed_on") is not None)


async def diagnose(plans: httpx.AsyncClient, family_id: UUID) -> None:
    started = await plans.post(f"/v1/families/{family_id}/diagnosis", headers=AFI)
    assert started.status_code == 200, started.text
    saved = await plans.patch(
        f"/v1/families/{family_id}/diagnosis",
        json={"items": [{"indicator": code, "level": 2} for code in INDICATORS]},
        headers=AFI | {"If-Match": started.headers["ETag"]},
    )
    assert saved.status_code == 200, saved.text
    done = await plans.post(
        f"/v1/families/{family_id}/diagnosis/complete",
        headers=AFI | {"If-Match": saved.headers["ETag"]},
    )
    assert done.status_code == 200, done.text


async def sign_plan(
    plans: httpx.AsyncClient, family_id: UUID, *, on: date = TODAY, asl: int = 0
) -> None:
    draft = await plans.put(
        f"/v1/families/{family_id}/plan",
        json={"asl_adults": asl, "goals": [{"dimension": "salud", "description": "CESFAM"}]},
        headers=AFI,
    )
    assert draft.status_code == 200, draft.text
    signed = await plans.post(
        f"/v1/families/{family_id}/plan/sign",
        json={"signed_on": on.isoformat()},
        headers=AFI | {"If-Match": draft.headers["ETag"]},
    )
    assert signed.status_code == 200, signed.text


async def hold_session(
    plans: httpx.AsyncClient,
    family_id: UUID,
    kind: str,
    *,
    attendance: str = "asistio",
    on: date = TODAY,
) -> None:
    body = {"held_on": on.isoformat(), "kind": kind, "attendance": attendance,
            "dimensions": ["salud"], "notes": "Conversamos con la familia"}  # fmt: skip
    response = await plans.post(f"/v1/families/{family_id}/sessions", json=body, headers=AFI)
    assert response.status_code == 201, response.text


async def abandonment(
    plans: httpx.AsyncClient,
    family_id: UUID,
    steps: list[str],
    *,
    recommendation: str | None = None,
    on: date = TODAY,
) -> None:
    for step in steps:
        body: dict[str, Any] = {"kind": step, "dated": on.isoformat(), "content": f"{step}"}
        if step == "recomendacion":
            body["recommendation"] = recommendation
        response = await plans.post(
            f"/v1/families/{family_id}/abandonment-records", json=body, headers=AFI
        )
        assert response.status_code == 201, response.text
