"""Registering a month's entitlement: exactly once per family, month and concept."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from shared.bus.client import Bus
from shared.contracts.payments import EntitlementRegistered, RegisterEntitlement
from shared.errors import IdempotencyMismatch
from tests.conftest import ServiceUnderTest


async def test_a_retried_command_registers_once_and_answers_the_same(
    payments: ServiceUnderTest, it_bus: Bus
) -> None:
    family_id = uuid4()
    command = RegisterEntitlement(
        idempotency_key=f"{family_id}:2024-02:bono_proteccion",
        family_id=family_id,
        period=date(2024, 2, 1),
        plan_month=1,
    )
    subject = "payments.cmd.v1.entitlement.register"
    first = await it_bus.request(subject, command, EntitlementRegistered)
    again = await it_bus.request(subject, command, EntitlementRegistered)
    assert first == again
    assert first.amount == 22_674
    owed = (await payments.client.get(f"/v1/families/{family_id}/entitlements")).json()
    assert len(owed) == 1

    changed = command.model_copy(update={"plan_month": 2})
    with pytest.raises(IdempotencyMismatch):
        await it_bus.request(subject, changed, EntitlementRegistered)


async def test_the_calendar_answers_how_much_a_family_will_get(payments: ServiceUnderTest) -> None:
    answer = (await payments.client.get("/v1/calendar", params={"start": "2024-02"})).json()
    assert answer["total"] == 446_010
    assert answer["months"][0] == {
        "period": "2024-02",
        "plan_month": 1,
        "tranche": 1,
        "concept": "bono_proteccion",
        "amount": 22_674,
        "source": "IPS/ChileAtiende: reajuste IPC febrero 2024",
    }
    bad = await payments.client.get("/v1/calendar", params={"start": "2024-13"})
    assert bad.status_code == 422
