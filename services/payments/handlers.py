"""Payments on the bus: the commands it answers."""

from __future__ import annotations

from services.payments.entitlements import register_entitlement
from services.payments.tariffs import load_tariffs
from shared.contracts import subjects
from shared.contracts.payments import EntitlementRegistered, RegisterEntitlement
from shared.db.idempotency import run_once
from shared.runtime import ServiceRuntime


async def register_handlers(runtime: ServiceRuntime) -> None:
    tariffs = load_tariffs()  # validated at start: a bad row stops the service, loudly

    async def register(command: RegisterEntitlement) -> EntitlementRegistered:
        return await run_once(
            runtime.sessions,
            command,
            EntitlementRegistered,
            lambda session: register_entitlement(session, command, tariffs),
        )

    await runtime.bus.serve(
        subjects.ENTITLEMENT_REGISTER, RegisterEntitlement, register, queue="payments"
    )
