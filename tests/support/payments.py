"""A payments service of its own for a test (own database and bus prefix, the tests' fixed
clock), and the monthly entitlement command as the family workflow sends it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx

from services.payments.main import create_app
from shared.bus.client import Bus
from shared.contracts import subjects
from shared.contracts.payments import EntitlementRegistered, RegisterEntitlement
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from tests.support.clock import fixed_clock
from tests.support.stack import running_app


@dataclass
class IsolatedPayments:
    settings: Settings
    client: httpx.AsyncClient
    runtime: ServiceRuntime
    bus: Bus
    tag: str


@asynccontextmanager
async def isolated_payments(base: Settings, **overrides: Any) -> AsyncIterator[IsolatedPayments]:
    tag = uuid4().hex[:6]
    settings = base.model_copy(
        update={"database_prefix": f"p{tag}_", "stream_prefix": f"P{tag.upper()}_", **overrides}
    )
    app = create_app(settings)
    async with running_app(app) as client:
        runtime: ServiceRuntime = app.state.runtime
        runtime.clock = fixed_clock
        bus = await Bus.connect(settings, name=f"test-payments-{tag}")
        try:
            yield IsolatedPayments(settings, client, runtime, bus, tag)
        finally:
            await bus.close()


async def register_month(
    bus: Bus, family_id: UUID, period: date, plan_month: int
) -> EntitlementRegistered:
    return await bus.request(
        subjects.ENTITLEMENT_REGISTER,
        RegisterEntitlement(
            idempotency_key=f"{family_id}:{period:%Y-%m}:bono_proteccion",
            family_id=family_id,
            period=period,
            plan_month=plan_month,
        ),
        EntitlementRegistered,
    )
