"""Activities of the family workflow: each one a thin NATS request to the service that owns it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import NAMESPACE_URL, uuid5

from temporalio import activity
from temporalio.exceptions import ApplicationError

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
from shared.errors import DependencyUnavailable, DomainError


def _refusal(error: DomainError) -> ApplicationError:
    """A domain refusal will not change on retry: fail the activity for good."""
    return ApplicationError(error.message, error.details, type=error.code, non_retryable=True)


class LifecycleActivities:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    @activity.defn(name="open_case")
    async def open_case(self, command: OpenCase) -> CaseOpened:
        try:
            return await self.bus.request(subjects.CASE_OPEN, command, CaseOpened)
        except DependencyUnavailable:
            raise
        except DomainError as error:
            raise _refusal(error) from error

    @activity.defn(name="sessions_in_month")
    async def sessions_in_month(self, query: SessionsInMonth) -> SessionsCount:
        try:
            return await self.bus.request(subjects.SESSIONS_IN_MONTH, query, SessionsCount)
        except DependencyUnavailable:
            raise
        except DomainError as error:
            raise _refusal(error) from error

    @activity.defn(name="register_entitlement")
    async def register_entitlement(self, command: RegisterEntitlement) -> EntitlementRegistered:
        try:
            return await self.bus.request(
                subjects.ENTITLEMENT_REGISTER, command, EntitlementRegistered
            )
        except DependencyUnavailable:
            raise
        except DomainError as error:
            raise _refusal(error) from error

    @activity.defn(name="hold_payments")
    async def hold_payments(self, command: HoldPayments) -> PaymentsHeld:
        try:
            return await self.bus.request(subjects.PAYMENTS_HOLD, command, PaymentsHeld)
        except DependencyUnavailable:
            raise
        except DomainError as error:
            raise _refusal(error) from error

    @activity.defn(name="close_family")
    async def close_family(self, command: CloseFamily) -> FamilyClosed:
        try:
            return await self.bus.request(subjects.INTAKE_FAMILY_CLOSE, command, FamilyClosed)
        except DependencyUnavailable:
            raise
        except DomainError as error:
            raise _refusal(error) from error

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
