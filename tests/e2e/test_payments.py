"""A family's transfer, end to end: commitment → payee → entitlement → the month's cycle
run with the CLI → the simulated bank → settled, in the books and in the family's timeline."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import httpx
import pytest

from deploy.local.stack import LocalStack
from shared.bus.client import Bus
from shared.contracts import subjects
from shared.contracts.payments import EntitlementRegistered, RegisterEntitlement
from tests.cli.test_cli import familias
from tests.support.programme import commit, contact, invite, refer, unique_comuna
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


async def test_the_cli_runs_the_months_cycle_and_the_family_sees_its_payment(
    system: LocalStack,
) -> None:
    settings = system.settings
    intake = httpx.AsyncClient(base_url=settings.service_url("intake"), timeout=10)
    payments = httpx.AsyncClient(base_url=settings.service_url("payments"), timeout=10)
    supervision = httpx.AsyncClient(base_url=settings.service_url("supervision"), timeout=10)
    comuna = unique_comuna("Pagos")
    # The running system is on the real clock: each fact is dated the day intake dated the
    # referral, whatever day this runs.
    family = await refer(intake, comuna, on=None)
    closed = await refer(intake, comuna, on=None)
    for each in (family, closed):
        await contact(intake, each, on=each.referred_on)
        await invite(intake, each, on=each.referred_on)
        await commit(intake, each, on=each.referred_on)

    # The commitment names the representative: payments learns who to pay, and how.
    async def payee() -> httpx.Response:
        return await payments.get(f"/v1/families/{family.id}/payee")

    found = await eventually(payee, until=lambda r: r.status_code == 200, timeout=30)
    assert found.json()["channel"] == "transferencia"
    assert found.json()["account_kind"] == "cuenta_rut"
    assert found.json()["run"].startswith("**.***.")  # masked: never the full RUT

    # The other family gave an account the bank will find closed.
    async def closed_payee() -> httpx.Response:
        return await payments.put(
            f"/v1/families/{closed.id}/payee",
            json={"channel": "transferencia", "bank_code": "001", "account_kind": "cuenta_vista",
                  "account_number": "12340000", "reason": "Cuenta informada por la titular"},
            headers={"X-Familias-Usuario": "encargada.pagos"},
        )  # fmt: skip

    changed = await eventually(closed_payee, until=lambda r: r.status_code == 200, timeout=30)
    assert changed.json()["account"] == "···0000"

    period = "2031-01"
    bus = await Bus.connect(settings, name="test-e2e-payments")
    try:
        for each in (family, closed):
            await bus.request(
                subjects.ENTITLEMENT_REGISTER,
                RegisterEntitlement(
                    idempotency_key=f"{each.id}:{period}:bono_proteccion",
                    family_id=UUID(each.id),
                    period=date(2031, 1, 1),
                    plan_month=1,
                ),
                EntitlementRegistered,
            )
    finally:
        await bus.close()

    run = familias(settings, "pagos", "ciclo", period, "--json")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["status"] == "terminado"
    assert answer["cycle"]["progress"]["in_flight"] == 0

    again = familias(settings, "pagos", "ciclo", period, "--no-seguir")
    assert "ya está en curso o ya se ejecutó" in again.stderr

    orders = (await payments.get(f"/v1/families/{family.id}/orders")).json()
    assert [(o["period"], o["status_label"]) for o in orders] == [(period, "pagada")]
    assert orders[0]["attempts"][0]["bank_reference"]

    books = familias(settings, "pagos", "cuadratura", period, "--json")
    assert books.returncode == 0, books.stderr
    assert json.loads(books.stdout)["balanced"] is True
    # Nothing the bank contradicted, nothing stranded on the way to it.
    issues = familias(settings, "pagos", "problemas", "--mes", period, "--json")
    assert issues.returncode == 0, issues.stderr
    assert json.loads(issues.stdout) == []
    now = familias(settings, "pagos", "avance", period, "--json")
    assert now.returncode == 0, now.stderr
    live = json.loads(now.stdout)["cycle"]["progress"]
    assert (live["stranded_orders"], live["unsent_batches"], live["in_flight"]) == (0, 0, 0)

    # The payments officer's page: the cycle, the books and the rejection, down to the family.
    page = await supervision.get("/pagos", params={"mes": period})
    assert page.status_code == 200
    assert "Terminado" in page.text
    assert "La cuadratura del mes está correcta" in page.text
    assert "cuenta cerrada (AC04)" in page.text
    assert f'href="/familias/{closed.id}"' in page.text
    assert closed.runs[0] not in page.text  # no RUT on the payments page

    # The bridge signals the settlement to the family's workflow: it is in its timeline.
    async def timeline() -> list[dict[str, Any]]:
        response = await supervision.get(f"/v1/families/{family.id}/lifecycle")
        return list(response.json().get("timeline", []))

    entries = await eventually(
        timeline,
        until=lambda items: any("pagada" in e.get("description", "") for e in items),
        timeout=30,
    )
    assert any(period in e.get("description", "") for e in entries)
    for client in (intake, payments, supervision):
        await client.aclose()
