"""Tariffs uploaded without a deploy, and the *reliquidación* a late law leaves behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID, uuid4

import httpx
import pytest

from shared.bus.client import Bus
from shared.settings import Settings
from tests.conftest import ServiceUnderTest
from tests.support.payments import isolated_payments, register_month

HEADER = "concepto,tramo,vigente_desde,publicado,monto,fuente\n"
# A SUF law published in July 2026 with effect from May 2026 (the handbook's "not yet known").
LATE_LAW = HEADER + "suf,4,2026-05-01,2026-07-15,22800,Ley de reajuste del SUF (ejemplo)\n"
SUF_2025 = 22_007


@pytest.fixture
async def paying(it_settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Bus]]:
    """Payments with its own database, under a policy that pays reliquidaciones."""
    async with isolated_payments(it_settings, payments_pay_reliquidation=True) as payments:
        yield payments.client, payments.bus


async def register(bus: Bus, family_id: UUID, period: date, plan_month: int) -> int:
    return (await register_month(bus, family_id, period, plan_month)).amount


async def test_a_late_law_is_computed_shown_and_paid_only_once(
    paying: tuple[httpx.AsyncClient, Bus],
) -> None:
    client, bus = paying
    family, other = uuid4(), uuid4()
    assert await register(bus, family, date(2026, 5, 1), 19) == SUF_2025
    assert await register(bus, family, date(2026, 6, 1), 20) == SUF_2025
    assert await register(bus, other, date(2026, 4, 1), 19) == SUF_2025  # before the law
    assert (await client.get("/v1/reliquidaciones")).json()["months"] == 0

    upload = await client.post(
        "/v1/tariffs",
        content=LATE_LAW.encode(),
        headers={"Content-Type": "text/csv", "X-Familias-Usuario": "admin.pagos"},
    )
    assert upload.status_code == 200, upload.text
    assert upload.json() == {"added": 1, "reliquidation": {"months": 2, "amount": 2 * 793}}
    same_again = await client.post("/v1/tariffs", content=LATE_LAW.encode())
    assert same_again.json()["added"] == 0

    shown = (await client.get("/v1/reliquidaciones")).json()
    assert shown["policy_pays"] is True
    assert [(d["family_id"], d["period"], d["gap"]) for d in shown["gaps"]] == [
        (str(family), "2026-05", 793),
        (str(family), "2026-06", 793),
    ]
    # Months registered from now on use the new row; the calendar shows it too.
    assert await register(bus, family, date(2026, 7, 1), 21) == 22_800
    months = (await client.get("/v1/calendar", params={"start": "2024-11"})).json()["months"]
    assert months[18] == months[18] | {"period": "2026-05", "plan_month": 19, "amount": 22_800}

    applied = await client.post("/v1/reliquidaciones/apply")
    assert applied.json() == {"granted": 2, "for_review": 0}
    assert (await client.get("/v1/reliquidaciones")).json()["months"] == 0
    again = await client.post("/v1/reliquidaciones/apply")
    assert again.json() == {"granted": 0, "for_review": 0}

    orders = (await client.get(f"/v1/families/{family}/orders")).json()
    assert sorted((o["period"], o["concept"], o["amount"]) for o in orders) == [
        ("2026-05", "bono_proteccion", SUF_2025),
        ("2026-05", "reliquidacion", 793),
        ("2026-06", "bono_proteccion", SUF_2025),
        ("2026-06", "reliquidacion", 793),
        ("2026-07", "bono_proteccion", 22_800),
    ]
    books = (await client.get("/v1/cycles/2026-05/cuadratura")).json()
    assert books["balanced"], books["problems"]
    assert books["owed"] == SUF_2025 + 793


async def test_a_published_tariff_is_never_rewritten_and_bad_files_name_their_line(
    paying: tuple[httpx.AsyncClient, Bus],
) -> None:
    client, _ = paying
    changed = HEADER + "proteccion,1,2024-02-01,2024-02-01,99999,otra fuente\n"
    refused = await client.post("/v1/tariffs", content=changed.encode())
    assert refused.status_code == 409
    assert "no se modifica" in refused.json()["detail"]

    broken = LATE_LAW + "suf,4,2026-13-01,2026-07-15,22800,x\n"
    bad = await client.post("/v1/tariffs", content=broken.encode())
    assert bad.status_code == 422
    assert "línea 3" in bad.json()["detail"]
    tariffs = (await client.get("/v1/tariffs")).json()
    assert not any(t["effective_from"] == "2026-05-01" for t in tariffs)  # refused whole


async def test_without_the_policy_differences_are_shown_never_paid(
    payments: ServiceUnderTest,
) -> None:
    refused = await payments.client.post("/v1/reliquidaciones/apply")
    assert refused.status_code == 409
    assert "no paga reliquidaciones" in refused.json()["detail"]
