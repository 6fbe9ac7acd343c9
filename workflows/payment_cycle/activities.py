"""Activities of the payment cycle: thin NATS requests to the payments service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from shared.bus.client import Bus
from shared.contracts.envelope import Contract
from shared.contracts.payments import (
    BatchesBuilt,
    BatchSubmitted,
    BuildBatches,
    CloseCycle,
    CycleOpened,
    CycleProgress,
    OpenCycle,
    PollBank,
    SubmitBatch,
)
from shared.errors import DependencyUnavailable, DomainError

ReplyT = TypeVar("ReplyT", bound=BaseModel)

# Building 20 batches of 1,000 or waiting on the bank takes longer than a lookup.
STEP_TIMEOUT_SECONDS = 120.0


class PaymentCycleActivities:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def _ask(self, request: Contract, reply: type[ReplyT]) -> ReplyT:
        subject: str = getattr(request, "subject")  # noqa: B009 (a ClassVar on each contract)
        try:
            return await self.bus.request(subject, request, reply, timeout=STEP_TIMEOUT_SECONDS)
        except DependencyUnavailable:
            raise  # retried by Temporal: payments or the bank will be back
        except DomainError as error:
            raise ApplicationError(
                error.message, error.details, type=error.code, non_retryable=True
            ) from error

    @activity.defn(name="open_cycle")
    async def open_cycle(self, command: OpenCycle) -> CycleOpened:
        return await self._ask(command, CycleOpened)

    @activity.defn(name="build_batches")
    async def build_batches(self, command: BuildBatches) -> BatchesBuilt:
        return await self._ask(command, BatchesBuilt)

    @activity.defn(name="submit_batch")
    async def submit_batch(self, command: SubmitBatch) -> BatchSubmitted:
        return await self._ask(command, BatchSubmitted)

    @activity.defn(name="poll_bank")
    async def poll_bank(self, command: PollBank) -> CycleProgress:
        return await self._ask(command, CycleProgress)

    @activity.defn(name="close_cycle")
    async def close_cycle(self, command: CloseCycle) -> CycleProgress:
        return await self._ask(command, CycleProgress)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.open_cycle,
            self.build_batches,
            self.submit_batch,
            self.poll_bank,
            self.close_cycle,
        ]
