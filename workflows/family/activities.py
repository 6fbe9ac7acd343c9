"""Activities of the family workflow: each one a NATS command to the service that owns it."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from shared.bus.client import Bus
from shared.contracts import subjects
from shared.contracts.plans import CaseOpened, OpenCase
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
