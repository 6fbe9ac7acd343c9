"""Intake's counts for reports equal the facts they were built from, and hold no person.

The service's today is the tests' fixed day, Wednesday 17 June 2026 (tests/support/clock.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.bus.client import Bus
from tests.conftest import ServiceUnderTest
from tests.support.clock import TODAY
from tests.support.programme import (
    IntakeFamily,
    close,
    commit,
    contact,
    invite,
    refer,
    unique_comuna,
)


async def build(intake: ServiceUnderTest, bus: Bus, comuna: str) -> dict[str, IntakeFamily]:
    """Seven families, one per path through the procedure (DOMAIN.md §2)."""
    http = intake.client
    last_year = date(2025, 3, 10)
    families = {
        "referred": await refer(http, comuna, members=2),
        "unlocated": await refer(http, comuna, members=3),
        "declines": await refer(http, comuna, members=1),
        "committed": await refer(http, comuna, members=4),
        "resigns": await refer(http, comuna, members=2),
        "last_year": await refer(http, comuna, members=3, on=last_year),
        # 3 May 2026: this year, last month, past the 30-day contact deadline.
        "late_contact": await refer(http, comuna, members=2, on=TODAY - timedelta(days=45)),
    }
    await contact(http, families["unlocated"], channel="telefono", located=False)
    await close(bus, families["unlocated"], "no_localizada")
    await contact(http, families["declines"])
    await invite(http, families["declines"], accepts=False)
    await close(bus, families["declines"], "rechaza")
    await contact(http, families["committed"], channel="telefono", located=False)
    await contact(http, families["committed"])
    await invite(http, families["committed"])
    await commit(http, families["committed"])
    await contact(http, families["resigns"], channel="otro")
    await invite(http, families["resigns"])
    await commit(http, families["resigns"])
    await close(bus, families["resigns"], "renuncia")
    earlier = families["last_year"]
    await contact(http, earlier, on=last_year + timedelta(days=5))
    await invite(http, earlier, on=last_year + timedelta(days=10))
    await commit(http, earlier, on=last_year + timedelta(days=20))
    return families


def assert_no_person(answer: Any, families: dict[str, IntakeFamily]) -> None:
    text = str(answer)
    for family in families.values():
        assert all(form not in text for form in family.rut_forms)
        assert family.payload["family_code"] not in text
        assert all(name not in text for name in family.names)


async def test_a_year_counts_each_stage_coverage_contacts_and_exits(
    intake: ServiceUnderTest, it_bus: Bus
) -> None:
    comuna = unique_comuna("Estadística")
    families = await build(intake, it_bus, comuna)

    response = await intake.client.get("/v1/statistics", params={"year": 2026, "comuna": comuna})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["stages"] == {
        "referred": 6,  # five today and the late one in May; not last year's
        "located": 3,
        "invited": 3,
        "accepted": 2,
        "declined": 1,
        "committed": 2,
    }
    # In the programme some time this year: signed, and not out before it began.
    covered = [families["committed"], families["resigns"], families["last_year"]]
    assert answer["coverage"] == {
        "families": 3,
        "persons": sum(f.persons for f in covered),
    }
    contacts = {
        (c["channel"], c["result"]): (c["attempts"], c["families"]) for c in answer["contacts"]
    }
    assert contacts[("visita", "localizada")] == (2, 2)
    assert contacts[("telefono", "no_localizada")] == (2, 2)
    assert contacts[("otro", "localizada")] == (1, 1)
    assert contacts[("visita", "no_localizada")] == (0, 0)
    assert answer["exits"] == {
        "cumplimiento": 0, "abandono": 0, "renuncia": 1, "fallecimiento": 0, "traslado": 0,
        "no_localizada": 1, "rechaza": 1,
    }  # fmt: skip
    assert_no_person(answer, families)

    previous = (
        await intake.client.get("/v1/statistics", params={"year": 2025, "comuna": comuna})
    ).json()
    assert previous["stages"]["referred"] == 1
    assert previous["stages"]["committed"] == 1
    assert previous["coverage"] == {"families": 1, "persons": 3}
    assert sum(previous["exits"].values()) == 0


async def test_a_month_counts_families_per_phase_entries_exits_and_overdue_contact(
    intake: ServiceUnderTest, it_bus: Bus
) -> None:
    comuna = unique_comuna("Mensual")
    families = await build(intake, it_bus, comuna)
    located = await refer(intake.client, comuna)
    await contact(intake.client, located)
    accepted = await refer(intake.client, comuna)
    await contact(intake.client, accepted)
    await invite(intake.client, accepted)
    families |= {"located": located, "accepted": accepted}
    response = await intake.client.get(
        "/v1/statistics/monthly", params={"month": "2026-06", "comuna": comuna}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["by_phase"] == {
        "contact": 2,  # referred today, and referred 45 days ago
        "invitation": 1,
        "commitment": 1,
        "committed": 2,
    }
    # Referred in June: the five of build() and two more today; the late one came in May.
    assert answer["entries"] == {"referred": 7, "committed": 2}
    assert answer["exits"]["renuncia"] == 1
    assert answer["exits"]["no_localizada"] == 1
    assert answer["exits"]["rechaza"] == 1
    assert answer["overdue"] == {"contact": 1, "contact_deadline_days": 30}
    assert_no_person(answer, families)


async def test_a_malformed_month_is_refused_in_spanish(intake: ServiceUnderTest) -> None:
    response = await intake.client.get("/v1/statistics/monthly", params={"month": "2025-13"})
    assert response.status_code == 422
    assert "AAAA-MM" in response.json()["detail"]
