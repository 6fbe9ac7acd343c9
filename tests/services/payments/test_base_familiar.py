"""Bono Base Familiar: from the family's income and the dated threshold, tapering from
payment 17; and Control Niño Sano, paid only beside Protección and Base Familiar."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID, uuid4

import httpx
import pytest
from stdnum.cl import rut as stdnum_rut

from services.payments.payees import payee_service
from services.payments.tariffs import TariffRow, base_familiar_amount
from shared.bus.client import Bus
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from tests.support.payments import isolated_payments, register_month

THRESHOLD = TariffRow("base_umbral", 0, date(2024, 1, 1), date(2024, 1, 1), 52_768, "prueba")
# A threshold row as an administrator loads it (the handbook gives amounts, not their dates).
THRESHOLD_CSV = (
    "concepto,tramo,vigente_desde,publicado,monto,fuente\n"
    "base_umbral,0,2024-01-01,2024-01-01,52768,Umbral Base Familiar (prueba)\n"
)


def test_the_amount_is_85_percent_of_the_gap_per_member_tapering_from_payment_17() -> None:
    def amount(payment: int, per_capita: int = 30_000, members: int = 4) -> int:
        owed = base_familiar_amount([THRESHOLD], date(2025, 3, 1), payment, per_capita, members)
        return 0 if owed is None else owed.amount

    # Threshold 52,768 − income 30,000 = 22,768 per person; 85 % of it is 19,352.80; for
    # 4 members 77,411.20, paid in whole pesos (cents dropped).
    assert amount(1) == amount(16) == 77_411
    # From payment 17 a sixth less each month: 5/6, 4/6 … of 77,411, in whole pesos.
    assert [amount(n) for n in (17, 18, 19, 20, 21, 22, 24)] == [
        64_509,  # 64,509.17
        51_607,  # 51,607.33
        38_705,  # 38,705.50
        25_803,  # 25,803.67
        12_901,  # 12,901.83
        0,
        0,
    ]
    assert amount(1, per_capita=60_000) == 0  # above the threshold: nothing owed
    assert base_familiar_amount([], date(2025, 3, 1), 1, 0, 4) is None  # no row, no guess


@pytest.fixture
async def service(
    it_settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, Bus, ServiceRuntime]]:
    async with isolated_payments(it_settings) as payments:
        yield payments.client, payments.bus, payments.runtime


async def register(bus: Bus, family_id: UUID, period: date, plan_month: int) -> None:
    await register_month(bus, family_id, period, plan_month)


async def test_a_family_with_income_recorded_gets_base_familiar_and_then_control_nino_sano(
    service: tuple[httpx.AsyncClient, Bus, ServiceRuntime],
) -> None:
    client, bus, runtime = service
    calendar = (
        await client.get("/v1/calendar", params={"start": "2025-03", "income_per_capita": 30_000})
    ).json()
    assert "No hay umbral" in calendar["notes"][0]
    assert {m["concept"] for m in calendar["months"]} == {"bono_proteccion"}

    loaded = await client.post("/v1/tariffs", content=THRESHOLD_CSV.encode())
    assert loaded.status_code == 200, loaded.text
    calendar = (
        await client.get(
            "/v1/calendar",
            params={"start": "2025-03", "income_per_capita": 30_000, "member_count": 4},
        )
    ).json()
    base = [m for m in calendar["months"] if m["concept"] == "bono_base_familiar"]
    assert [m["amount"] for m in base[:2]] == [77_411, 77_411]
    assert len(base) == 21  # payments 22–24 taper to nothing

    family, without_income = uuid4(), uuid4()
    run = "123456785"
    assert stdnum_rut.is_valid(run)
    async with runtime.sessions() as session, session.begin():
        await payee_service.set_representative(
            session, family, member_id=uuid4(), run=run, name="Titular"
        )
    income = await client.put(
        f"/v1/families/{family}/income",
        json={"income_per_capita": 30_000, "member_count": 4,
              "source": "Registro Social de Hogares", "recorded_on": "2025-03-10"},
    )  # fmt: skip
    assert income.status_code == 200, income.text
    await register(bus, family, date(2025, 3, 1), 1)
    await register(bus, without_income, date(2025, 3, 1), 1)

    owed = (await client.get(f"/v1/families/{family}/entitlements")).json()
    assert sorted((o["concept"], o["amount"]) for o in owed) == [
        ("bono_base_familiar", 77_411),
        ("bono_proteccion", 23_694),
    ]
    assert len((await client.get(f"/v1/families/{without_income}/entitlements")).json()) == 1

    # Control Niño Sano, accredited at the municipality: only beside both bonuses.
    bonus = (
        "run;mes;concepto;monto;fuente\n"
        f"{run};2025-03;control_nino_sano;11000;Acreditación municipal\n"
        f"{run};2025-04;control_nino_sano;11000;Acreditación municipal\n"
    )
    refused = await client.post("/v1/bonuses", content=bonus.encode())
    assert refused.status_code == 422
    assert [(e["line"], e["column"]) for e in refused.json()["errors"]] == [(3, "concepto")]
    accepted = await client.post("/v1/bonuses", content=bonus.rsplit("\n", 2)[0].encode() + b"\n")
    assert accepted.json() == {"registered": 1, "already_registered": 0}
    books = (await client.get("/v1/cycles/2025-03/cuadratura")).json()
    assert books["balanced"], books["problems"]
    assert books["owed"] == 77_411 + 23_694 + 23_694 + 11_000
