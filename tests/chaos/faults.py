"""The faults a chaos run injects: a plan drawn from one seed, and the injector that runs it.

The plan is a pure function of (seed, mode, rounds, kinds): which faults, in which round,
how many seconds into it, for how long, against which process, and which of the bank
simulator's faults each payment cycle runs with. The same seed gives the same plan; what
it meets (a cycle one batch further along) depends on timing, as in any real outage.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from shared.bus.client import Bus
from shared.bus.consumer import FAMILY_HEADER
from shared.contracts import subjects
from tests.chaos.stack import DUPLICATE_WINDOW_SECONDS, RELAYS, ChaosStack


class Kind(StrEnum):
    KILL_WORKER = "kill-worker"
    KILL_INTAKE = "kill-intake"
    KILL_PLANS = "kill-plans"
    KILL_PAYMENTS = "kill-payments"
    KILL_SUPERVISION = "kill-supervision"
    KILL_BRIDGE = "kill-bridge"
    KILL_RELAY = "kill-relay"
    KILL_RELAY_AFTER_WRITES = "kill-relay-after-writes"
    NATS_STOPPED = "nats-stopped"
    NATS_KILLED = "nats-killed"
    TEMPORAL_RESTARTED = "temporal-restarted"
    POSTGRES_KILLED = "postgres-killed"
    EVENTS_DUPLICATED = "events-duplicated"
    BANK_TIMEOUT = "bank-timeout"
    BANK_DUPLICATES = "bank-duplicates"
    BANK_LATE = "bank-late"
    BANK_PARTIAL = "bank-partial"
    BANK_CRASH = "bank-crash"


LABELS: dict[Kind, str] = {
    Kind.KILL_WORKER: "kill -9 del worker",
    Kind.KILL_INTAKE: "kill -9 del servicio de ingreso",
    Kind.KILL_PLANS: "kill -9 del servicio de planes",
    Kind.KILL_PAYMENTS: "kill -9 del servicio de pagos",
    Kind.KILL_SUPERVISION: "kill -9 de la consola de supervisión",
    Kind.KILL_BRIDGE: "kill -9 del puente",
    Kind.KILL_RELAY: "kill -9 de un relay",
    Kind.KILL_RELAY_AFTER_WRITES: "kill -9 de un relay tras escrituras (commit sin publicar)",
    Kind.NATS_STOPPED: "NATS detenido más que la ventana de duplicados",
    Kind.NATS_KILLED: "kill -9 de NATS",
    Kind.TEMPORAL_RESTARTED: "Temporal reiniciado sobre su archivo (kill -9)",
    Kind.POSTGRES_KILLED: "kill -9 de PostgreSQL",
    Kind.EVENTS_DUPLICATED: "eventos duplicados y desordenados hacia el puente",
    Kind.BANK_TIMEOUT: "banco: respuesta al envío tras el plazo (timeout)",
    Kind.BANK_DUPLICATES: "banco: responde dos veces",
    Kind.BANK_LATE: "banco: responde tarde",
    Kind.BANK_PARTIAL: "banco: responde por partes",
    Kind.BANK_CRASH: "banco: cae tras aceptar un archivo",
}

KILLED_PROCESS: dict[Kind, str] = {
    Kind.KILL_WORKER: "worker",
    Kind.KILL_INTAKE: "intake",
    Kind.KILL_PLANS: "plans",
    Kind.KILL_PAYMENTS: "payments",
    Kind.KILL_SUPERVISION: "supervision",
    Kind.KILL_BRIDGE: "bridge",
    Kind.NATS_KILLED: "nats",
    Kind.TEMPORAL_RESTARTED: "temporal",
    Kind.POSTGRES_KILLED: "postgresql",
}

BANK_KINDS = (
    Kind.BANK_TIMEOUT,
    Kind.BANK_DUPLICATES,
    Kind.BANK_LATE,
    Kind.BANK_PARTIAL,
    Kind.BANK_CRASH,
)
TIMED_KINDS = tuple(k for k in Kind if k not in BANK_KINDS)
# The time-skipping test server lives in this process's memory: it cannot be restarted.
LIFECYCLE_KINDS = tuple(k for k in TIMED_KINDS if k is not Kind.TEMPORAL_RESTARTED)
MONEY_KINDS = TIMED_KINDS


@dataclass(frozen=True)
class Fault:
    kind: Kind
    at: float  # seconds after its round starts
    hold: float  # seconds the process stays down (or copies to publish)
    target: str = ""

    def describe(self) -> str:
        target = f" ({self.target})" if self.target else ""
        return f"+{self.at:.1f} s {LABELS[self.kind]}{target}, {self.hold:.1f} s"


@dataclass
class FaultPlan:
    seed: int
    rounds: list[list[Fault]]
    bank: list[list[Kind]] = field(default_factory=list)

    def describe(self) -> list[str]:
        lines = []
        for number, faults in enumerate(self.rounds):
            name = f"ronda {number}" if number else "preparación"
            bank = self.bank[number] if number < len(self.bank) else []
            if bank:
                lines.append(f"{name}, banco: " + ", ".join(LABELS[k] for k in bank))
            lines += [f"{name}: {fault.describe()}" for fault in faults]
        return lines


def draw_plan(
    seed: int,
    rounds: int,
    *,
    kinds: Sequence[Kind],
    bank_kinds: Sequence[Kind] = (),
    window: float = 20.0,
    extra: int = 0,
    bank_from: int = 1,
) -> FaultPlan:
    """Every kind once, dealt over the rounds in a seeded order, plus `extra` more drawn at
    random; each at a seeded moment of its round. Every bank kind in at least one round from
    `bank_from` on (round 0 sets the population up: no payment cycle runs in it)."""
    rng = random.Random(seed)
    chosen = list(kinds) + [rng.choice(list(kinds)) for _ in range(extra)]
    rng.shuffle(chosen)
    per_round: list[list[Fault]] = [[] for _ in range(rounds)]
    for index, kind in enumerate(chosen):
        per_round[index % rounds].append(_fault(rng, kind, window))
    for faults in per_round:
        faults.sort(key=lambda f: f.at)
    bank: list[list[Kind]] = [[] for _ in range(rounds)]
    dealt = list(bank_kinds)
    rng.shuffle(dealt)
    cycles = max(rounds - bank_from, 1)
    for index, kind in enumerate(dealt):
        bank[bank_from + index % cycles].append(kind)
    for kinds_of_round in bank[bank_from:]:
        for kind in bank_kinds:
            if kind not in kinds_of_round and kind is not Kind.BANK_CRASH and rng.random() < 0.25:
                kinds_of_round.append(kind)
        kinds_of_round.sort()
    return FaultPlan(seed, per_round, bank if bank_kinds else [])


def _fault(rng: random.Random, kind: Kind, window: float) -> Fault:
    at = round(rng.uniform(0.5, window), 1)
    if kind is Kind.NATS_STOPPED:
        return Fault(kind, at, round(DUPLICATE_WINDOW_SECONDS + rng.uniform(3, 8), 1))
    if kind is Kind.EVENTS_DUPLICATED:
        return Fault(kind, at, float(rng.randint(20, 60)))
    if kind in (Kind.KILL_RELAY, Kind.KILL_RELAY_AFTER_WRITES):
        target = "relay-intake" if kind is Kind.KILL_RELAY_AFTER_WRITES else rng.choice(RELAYS)
        return Fault(kind, at, round(rng.uniform(0.5, 3), 1), target)
    return Fault(kind, at, round(rng.uniform(0.5, 4), 1), KILLED_PROCESS.get(kind, ""))


# What the bank simulator is told (`POST /v1/control`) for each of its faults.
BANK_CONTROL: dict[Kind, dict[str, Any]] = {
    Kind.BANK_TIMEOUT: {"response_delay_seconds": 5.0},  # > BANK_TIMEOUT_SECONDS
    Kind.BANK_DUPLICATES: {"duplicate_messages": True},
    Kind.BANK_LATE: {"delay_seconds": 6.0},
    Kind.BANK_PARTIAL: {"partial": True},
    Kind.BANK_CRASH: {"crash_after_accept": True},
}
BANK_NORMAL: dict[str, Any] = {
    "response_delay_seconds": 0.0,
    "duplicate_messages": False,
    "delay_seconds": 0.3,
    "partial": False,
    "crash_after_accept": False,
}

Burst = Callable[[int], Awaitable[int]]  # how many writes → how many were made


class Injector:
    """Runs a plan's faults against a running stack and counts what it injected."""

    def __init__(
        self,
        stack: ChaosStack,
        bus: Bus,
        *,
        seed: int,
        say: Callable[[str], None],
        burst: Burst,
        reject_ratio: float = 0.02,
    ) -> None:
        self.stack = stack
        self.bus = bus
        self.rng = random.Random(seed * 7919 + 1)
        self.say = say
        self.burst = burst
        self.reject_ratio = reject_ratio
        self.seed = seed
        self.injected: Counter[str] = Counter()
        self.bank_now: dict[str, Any] = {}

    async def run_round(self, faults: Sequence[Fault]) -> None:
        """The round's timed faults, one after another, each healed before the next."""
        started = asyncio.get_running_loop().time()
        for fault in faults:
            wait = fault.at - (asyncio.get_running_loop().time() - started)
            if wait > 0:
                await asyncio.sleep(wait)
            self.say(f"falla: {fault.describe()}")
            await self.inject(fault)
            self.injected[fault.kind] += 1

    async def inject(self, fault: Fault) -> None:
        kind = fault.kind
        if kind in (Kind.NATS_STOPPED, Kind.NATS_KILLED):
            # In the middle of a burst of writes, so a relay is publishing when NATS goes:
            # rows it published but could not mark sent go out again when NATS is back —
            # after the duplicate window (stopped) as new messages.
            writes = asyncio.create_task(self.burst(150))
            await asyncio.sleep(self.rng.uniform(0.05, 0.3))
            if kind is Kind.NATS_STOPPED:
                await asyncio.to_thread(self.stack.stop_gracefully, "nats")
            else:
                await asyncio.to_thread(self.stack.crash, "nats")
            self.say(f"  NATS caído en medio de {await writes} escrituras")
            await asyncio.sleep(fault.hold)
            await self._revive("nats")
        elif kind is Kind.EVENTS_DUPLICATED:
            copies = await self.duplicate_events(int(fault.hold))
            self.say(f"  {copies} copias publicadas en desorden")
        elif kind is Kind.KILL_RELAY_AFTER_WRITES:
            written = await self.burst(15)
            await asyncio.to_thread(self.stack.crash, fault.target)
            self.say(f"  {written} escrituras; {fault.target} muerto justo después")
            await asyncio.sleep(fault.hold)
            await self._revive(fault.target)
        else:
            await asyncio.to_thread(self.stack.crash, fault.target)
            await asyncio.sleep(fault.hold)
            await self._revive(fault.target)

    async def _revive(self, name: str) -> None:
        await asyncio.to_thread(self.stack.revive, name, wait=False)
        await self.stack.heal()

    # --- the bank simulator's faults, for one payment cycle -----------------------------

    async def bank_faults(self, kinds: Sequence[Kind]) -> None:
        control = dict(BANK_NORMAL) | {"reject_ratio": self.reject_ratio, "seed": self.seed}
        for kind in kinds:
            control |= BANK_CONTROL[kind]
            self.injected[kind] += 1
        self.bank_now = control
        await self._post_bank(control)

    async def bank_restored(self) -> None:
        """After the simulator crashed on purpose it restarts with its start values: tell it
        the cycle's faults again, without the crash."""
        if self.bank_now:
            self.bank_now = self.bank_now | {"crash_after_accept": False}
            await self.stack.heal()
            await self._post_bank(self.bank_now)

    async def _post_bank(self, control: dict[str, Any]) -> None:
        async with self.stack.http("bank", timeout=10) as bank:
            for _ in range(100):
                try:
                    response = await bank.post("/v1/control", json=control)
                    response.raise_for_status()
                    return
                except httpx.HTTPError:
                    await asyncio.sleep(0.3)
        raise RuntimeError("el banco simulado no acepta sus fallas")

    # --- duplicated and reordered events ------------------------------------------------

    async def duplicate_events(self, count: int) -> int:
        """Copies of real envelopes, under new message ids (so JetStream keeps them), sent
        back to their subjects in a shuffled order: every consumer, the bridge among them,
        sees events again and out of order."""
        picked: list[tuple[str, bytes, dict[str, str]]] = []
        for owner in subjects.BRIDGED_STREAM_OWNERS:
            stream = self.stack.settings.stream_name(owner)
            try:
                info = await self.bus.js.stream_info(stream)
            except Exception:
                continue
            first, last = info.state.first_seq, info.state.last_seq
            if not last:
                continue
            for _ in range(count // len(subjects.BRIDGED_STREAM_OWNERS) + 1):
                try:
                    message = await self.bus.js.get_msg(stream, self.rng.randint(first, last))
                except Exception:
                    continue
                headers = dict(message.headers or {})
                picked.append((message.subject or "", message.data or b"", headers))
        self.rng.shuffle(picked)
        for subject, data, headers in picked[:count]:
            copy_headers = {"Nats-Msg-Id": f"copia-{uuid.UUID(int=self.rng.getrandbits(128))}"}
            if FAMILY_HEADER in headers:
                copy_headers[FAMILY_HEADER] = headers[FAMILY_HEADER]
            await self.bus.js.publish(subject, data, headers=copy_headers)
        return min(len(picked), count)
