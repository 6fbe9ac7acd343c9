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
    ListUnsentBatches,
    OpenCycle,
    PollBank,
    SubmitBatch,
    UnsentBatches,
)
from workflows.requests import ask

# How long each request waits for payments' answer: what a lost reply (payments killed
# mid-request) costs before the activity retries. NATS itself going away fails a request
# at once (`Bus.request`). No request waits on the bank: payments sends files by itself
# (services/payments/submission.py), building stops after its own budget (10 s) and so does
# reading the bank (15 s), so every step answers in seconds.
OPEN_TIMEOUT_SECONDS = 20.0  # cut-off and expiry of unclaimed in-person payments
BUILD_TIMEOUT_SECONDS = 30.0  # a 10-s budget of batches, plus the one under way
SUBMIT_TIMEOUT_SECONDS = 15.0  # writing one file and queueing it
LIST_TIMEOUT_SECONDS = 10.0
POLL_TIMEOUT_SECONDS = 30.0  # a 15-s budget of bank messages, plus the one under way
CLOSE_TIMEOUT_SECONDS = 20.0


class PaymentCycleActivities:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    @activity.defn(name="open_cycle")
    async def open_cycle(self, command: OpenCycle) -> CycleOpened:
        return await ask(
            self.bus, subjects.CYCLE_OPEN, command, CycleOpened, timeout=OPEN_TIMEOUT_SECONDS
        )

    @activity.defn(name="build_batches")
    async def build_batches(self, command: BuildBatches) -> BatchesBuilt:
        return await ask(
            self.bus, subjects.CYCLE_BUILD, command, BatchesBuilt, timeout=BUILD_TIMEOUT_SECONDS
        )

    @activity.defn(name="submit_batch")
    async def submit_batch(self, command: SubmitBatch) -> BatchSubmitted:
        return await ask(
            self.bus,
            subjects.BATCH_SUBMIT,
            command,
            BatchSubmitted,
            timeout=SUBMIT_TIMEOUT_SECONDS,
        )

    @activity.defn(name="unsent_batches")
    async def unsent_batches(self, query: ListUnsentBatches) -> UnsentBatches:
        return await ask(
            self.bus, subjects.BATCHES_UNSENT, query, UnsentBatches, timeout=LIST_TIMEOUT_SECONDS
        )

    @activity.defn(name="poll_bank")
    async def poll_bank(self, command: PollBank) -> CycleProgress:
        return await ask(
            self.bus, subjects.BANK_POLL, command, CycleProgress, timeout=POLL_TIMEOUT_SECONDS
        )

    @activity.defn(name="close_cycle")
    async def close_cycle(self, command: CloseCycle) -> CycleProgress:
        return await ask(
            self.bus, subjects.CYCLE_CLOSE, command, CycleProgress, timeout=CLOSE_TIMEOUT_SECONDS
        )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.open_cycle,
            self.build_batches,
            self.submit_batch,
            self.unsent_batches,
            self.poll_bank,
            self.close_cycle,
        ]
