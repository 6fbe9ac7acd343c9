"""Activities of the payment cycle: thin NATS requests to the payments service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import activity

from shared.bus.client import Bus
from shared.contracts import subjects
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
from workflows.requests import ask

# Building 20 batches of 1,000 or waiting on the bank takes longer than a lookup.
REQUEST_TIMEOUT_SECONDS = 120.0


class PaymentCycleActivities:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    @activity.defn(name="open_cycle")
    async def open_cycle(self, command: OpenCycle) -> CycleOpened:
        return await ask(
            self.bus, subjects.CYCLE_OPEN, command, CycleOpened, timeout=REQUEST_TIMEOUT_SECONDS
        )

    @activity.defn(name="build_batches")
    async def build_batches(self, command: BuildBatches) -> BatchesBuilt:
        return await ask(
            self.bus, subjects.CYCLE_BUILD, command, BatchesBuilt, timeout=REQUEST_TIMEOUT_SECONDS
        )

    @activity.defn(name="submit_batch")
    async def submit_batch(self, command: SubmitBatch) -> BatchSubmitted:
        return await ask(
            self.bus,
            subjects.BATCH_SUBMIT,
            command,
            BatchSubmitted,
            timeout=REQUEST_TIMEOUT_SECONDS,
        )

    @activity.defn(name="poll_bank")
    async def poll_bank(self, command: PollBank) -> CycleProgress:
        return await ask(
            self.bus, subjects.BANK_POLL, command, CycleProgress, timeout=REQUEST_TIMEOUT_SECONDS
        )

    @activity.defn(name="close_cycle")
    async def close_cycle(self, command: CloseCycle) -> CycleProgress:
        return await ask(
            self.bus, subjects.CYCLE_CLOSE, command, CycleProgress, timeout=REQUEST_TIMEOUT_SECONDS
        )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.open_cycle,
            self.build_batches,
            self.submit_batch,
            self.poll_bank,
            self.close_cycle,
        ]
