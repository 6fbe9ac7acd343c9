"""Activities of the family workflow: each one a thin NATS request to the service that owns it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import NAMESPACE_URL, uuid5

from temporalio import activity

from shared.bus.client import Bus
from shared.bus.consumer import FAMILY_HEADER
from shared.contracts import subjects
from shared.contracts.envelope import Envelope
from shared.contracts.intake import CloseFamily, FamilyClosed
from shared.contracts.lifecycle import FamilyExited
from shared.contracts.payments import (
    EntitlementRegistered,
    HoldPayments,
    PaymentsHeld,
    RegisterEntitlement,
)
from shared.contracts.plans import CaseOpened, OpenCase, SessionsCount, SessionsInMonth
from workflows.requests import ask


class LifecycleActivities:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    @activity.defn(name="open_case")
    async def open_case(self, command: OpenCase) -> CaseOpened:
        return await ask(self.bus, subjects.CASE_OPEN, command, CaseOpened)

    @activity.defn(name="sessions_in_month")
    async def sessions_in_month(self, query: SessionsInMonth) -> SessionsCount:
        return await ask(self.bus, subjects.SESSIONS_IN_MONTH, query, SessionsCount)

    @activity.defn(name="register_entitlement")
    async def register_entitlement(self, command: RegisterEntitlement) -> EntitlementRegistered:
        return await ask(self.bus, subjects.ENTITLEMENT_REGISTER, command, EntitlementRegistered)

    @activity.defn(name="hold_payments")
    async def hold_payments(self, command: HoldPayments) -> PaymentsHeld:
        return await ask(self.bus, subjects.PAYMENTS_HOLD, command, PaymentsHeld)

    @activity.defn(name="close_family")
    async def close_family(self, command: CloseFamily) -> FamilyClosed:
        return await ask(self.bus, subjects.INTAKE_FAMILY_CLOSE, command, FamilyClosed)

    @activity.defn(name="publish_exited")
    async def publish_exited(self, event: FamilyExited) -> None:
        """Published once: the event id derives from the family, so a retry is a duplicate."""
        event_id = uuid5(NAMESPACE_URL, f"familias:exited:{event.family_id}")
        envelope = Envelope.wrap(
            event,
            producer="lifecycle",
            family_id=event.family_id,
            event_id=event_id,
            occurred_at=datetime.now(UTC),
        )
        await self.bus.ensure_stream("lifecycle")
        await self.bus.js.publish(
            self.bus.subject(envelope.subject),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(event_id), FAMILY_HEADER: str(event.family_id)},
        )
