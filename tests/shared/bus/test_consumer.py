"""Event consumers on a real NATS: transient or final, dead letters, per-family lanes.

Each test has its own stream prefix (its own streams, dead letters and lanes) and runs
`consume` in this process with a handler whose failures it scripts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID, uuid4

import pytest

from shared.bus import deadletter
from shared.bus.client import Bus
from shared.bus.consumer import FAMILY_HEADER, consume
from shared.bus.lanes import Lane, LaneState, LaneStore
from shared.contracts import subjects
from shared.contracts.envelope import Envelope
from shared.errors import DependencyUnavailable, IllegalTransition
from shared.settings import Settings
from tests.support.waiting import eventually

DURABLE = "pruebas"
MAX_DELIVERIES = 3

T = TypeVar("T")


def consumer_settings(base: Settings) -> Settings:
    """Own streams, fast backoff and a short ack wait (a stopped consumer's events come
    back soon)."""
    return base.model_copy(
        update={
            "stream_prefix": f"C{uuid4().hex[:8].upper()}_",
            "consumer_max_deliveries": MAX_DELIVERIES,
            "consumer_retry_base_seconds": 0.1,
            "consumer_retry_max_seconds": 0.4,
            "consumer_ack_wait_seconds": 2.0,
        }
    )


@pytest.fixture
async def own_bus(it_settings: Settings) -> AsyncIterator[Bus]:
    bus = await Bus.connect(consumer_settings(it_settings), name="tests-consumer")
    await bus.ensure_stream("intake")
    yield bus
    await bus.close()


@dataclass
class Script:
    """A handler that records what it applied and fails as the test says, per label."""

    applied: list[str] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    failures: dict[str, Callable[[int], BaseException | None]] = field(default_factory=dict)
    blocked: dict[str, asyncio.Event] = field(default_factory=dict)

    async def handle(self, envelope: Envelope) -> None:
        label = str(envelope.data["label"])
        self.attempts[label] += 1
        if label in self.blocked:
            await self.blocked[label].wait()
        fail = self.failures.get(label)
        error = fail(self.attempts[label]) if fail else None
        if error is not None:
            raise error
        self.applied.append(label)

    def of(self, family: str) -> list[str]:
        return [label for label in self.applied if label.startswith(family)]


def always(error: BaseException) -> Callable[[int], BaseException | None]:
    return lambda _attempt: error


def event(label: str, family: str | None) -> Envelope:
    return Envelope(
        event_id=uuid4(),
        subject=subjects.FAMILY_UPDATED,
        schema_version=1,
        occurred_at=datetime.now(UTC),
        producer="tests",
        family_id=UUID(family) if family else None,
        data={"label": label},
    )


class Families:
    """Family ids per letter, so labels read "A1", "A2", "B1"."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def __getitem__(self, letter: str) -> str:
        return self.ids.setdefault(letter, str(uuid4()))


async def publish(bus: Bus, families: Families, *labels: str) -> None:
    for label in labels:
        family = families[label[0]]
        await bus.js.publish(
            bus.subject(subjects.FAMILY_UPDATED),
            event(label, family).model_dump_json().encode(),
            headers={FAMILY_HEADER: family},
        )


@asynccontextmanager
async def consuming(bus: Bus, script: Script) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(
        consume(bus, owner="intake", durable=DURABLE, handler=script.handle, stop=stop)
    )
    try:
        yield task
    finally:
        stop.set()
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=15)


async def book(bus: Bus) -> list[deadletter.Entry]:
    return list((await deadletter.read_book(bus)).values())


async def ack_pending(bus: Bus) -> int:
    info = await bus.js.consumer_info(bus.settings.stream_name("intake"), DURABLE)
    return int(info.num_ack_pending)


# -- transient or final ------------------------------------------------------------------


async def test_a_transient_failure_is_redelivered_until_it_succeeds(own_bus: Bus) -> None:
    families = Families()
    script = Script(
        failures={
            "A1": lambda n: DependencyUnavailable("Nadie atiende") if n <= 2 else None,
            "B1": lambda n: TimeoutError() if n == 1 else None,
        }
    )
    await publish(own_bus, families, "A1", "B1")
    async with consuming(own_bus, script):
        await eventually(lambda: _now(script.applied), until=lambda a: len(a) == 2, timeout=20)
    assert sorted(script.applied) == ["A1", "B1"]
    assert script.attempts == Counter({"A1": 3, "B1": 2})
    assert await book(own_bus) == []


async def test_a_final_refusal_goes_to_dead_letters_at_once_and_visibly(own_bus: Bus) -> None:
    families = Families()
    script = Script(failures={"A1": always(IllegalTransition("La familia ya egresó"))})
    await publish(own_bus, families, "A1")
    async with consuming(own_bus, script):
        entries = await eventually(lambda: book(own_bus), until=lambda e: len(e) == 1)
        await eventually(lambda: ack_pending(own_bus), until=lambda n: n == 0)
    letter = entries[0].record
    assert script.attempts["A1"] == 1
    assert (letter.attempts, letter.deliveries, letter.failure) == (1, 1, "final")
    assert letter.error == "transicion_no_permitida: La familia ya egresó"
    assert letter.family_id == families["A"]
    assert letter.consumer == DURABLE
    assert letter.subject == own_bus.subject(subjects.FAMILY_UPDATED)
    assert letter.envelope().data == {"label": "A1"}
    assert entries[0].status is deadletter.Status.PENDING


async def test_a_malformed_event_goes_to_dead_letters_with_its_bytes(own_bus: Bus) -> None:
    script = Script()
    await own_bus.js.publish(own_bus.subject(subjects.FAMILY_UPDATED), b'{"no": "envelope"}')
    async with consuming(own_bus, script):
        entries = await eventually(lambda: book(own_bus), until=lambda e: len(e) == 1)
    letter = entries[0].record
    assert letter.failure == "final"
    assert letter.error.startswith("ValidationError")
    assert letter.original() == b'{"no": "envelope"}'
    assert letter.family_id is None
    assert script.attempts == Counter()


async def test_a_poison_event_goes_to_dead_letters_after_the_bounded_deliveries(
    own_bus: Bus,
) -> None:
    families = Families()
    script = Script(failures={"A1": always(KeyError("family_code"))})
    await publish(own_bus, families, "A1")
    async with consuming(own_bus, script):
        entries = await eventually(lambda: book(own_bus), until=lambda e: len(e) == 1)
        await eventually(lambda: ack_pending(own_bus), until=lambda n: n == 0)
    letter = entries[0].record
    assert script.attempts["A1"] == MAX_DELIVERIES
    assert (letter.attempts, letter.deliveries) == (MAX_DELIVERIES, MAX_DELIVERIES)
    assert letter.failure == "inesperado"
    assert letter.error == "KeyError: 'family_code'"
    assert letter.stream_sequence == 1
    assert letter.stream == own_bus.settings.stream_name("intake")


# -- per-family lanes --------------------------------------------------------------------


async def test_a_familys_later_event_waits_behind_its_failing_one_others_go_on(
    own_bus: Bus,
) -> None:
    families = Families()
    script = Script(failures={"A1": always(TimeoutError("sin respuesta"))})
    await publish(own_bus, families, "A1", "A2", "B1")  # one batch: A1 fails, A2 follows it
    async with consuming(own_bus, script):
        await eventually(
            lambda: _now(script), until=lambda s: s.attempts["A1"] >= 2 and "B1" in s.applied
        )
        assert script.applied == ["B1"]  # A2 did not overtake A1
        script.failures.clear()
        await eventually(lambda: _now(script.applied), until=lambda a: len(a) == 3)
    assert script.of("A") == ["A1", "A2"]


async def test_a_stopped_lane_holds_across_a_restart_and_moves_once_its_blocker_passes(
    own_bus: Bus,
) -> None:
    families = Families()
    script = Script(failures={"A1": always(ConnectionRefusedError("sin base de datos"))})
    await publish(own_bus, families, "A1", "B1")
    async with consuming(own_bus, script):
        await eventually(
            lambda: _now(script), until=lambda s: s.attempts["A1"] >= 1 and "B1" in s.applied
        )
    # A new process: A2 is new to it and arrives at once, A1 only after its backoff.
    await publish(own_bus, families, "A2", "B2")
    async with consuming(own_bus, script):
        await eventually(lambda: _now(script.applied), until=lambda a: "B2" in a)
        assert script.of("A") == []  # B2 came after A2: A2 was seen, and held
        script.failures.clear()
        await eventually(lambda: _now(script.applied), until=lambda a: len(a) == 4)
    assert script.of("A") == ["A1", "A2"]
    assert script.of("B") == ["B1", "B2"]


async def test_an_event_being_applied_when_the_consumer_died_still_goes_first(
    own_bus: Bus,
) -> None:
    families = Families()
    script = Script(blocked={"A1": asyncio.Event()})
    await publish(own_bus, families, "A1")
    async with consuming(own_bus, script) as task:
        await eventually(lambda: _now(script.attempts), until=lambda a: a["A1"] == 1)
        task.cancel()  # the process dies while applying A1: no ack, nothing cleaned up
    script.blocked.clear()
    await publish(own_bus, families, "A2", "B1")
    async with consuming(own_bus, script):
        await eventually(lambda: _now(script.applied), until=lambda a: len(a) == 3, timeout=20)
    assert script.of("A") == ["A1", "A2"]


async def test_a_head_acknowledged_before_the_consumer_died_does_not_stop_its_lane(
    own_bus: Bus,
) -> None:
    families = Families()
    script = Script(blocked={"B1": asyncio.Event()})
    await publish(own_bus, families, "A1", "B1")
    async with consuming(own_bus, script) as task:
        await eventually(
            lambda: _now(script), until=lambda s: s.applied == ["A1"] and s.attempts["B1"] == 1
        )
        await own_bus.nc.flush()
        task.cancel()  # A1 was applied and acknowledged, B1 was under way
    script.blocked.clear()
    await publish(own_bus, families, "A2")
    async with consuming(own_bus, script):
        await eventually(lambda: _now(script.applied), until=lambda a: len(a) == 3, timeout=20)
    assert script.of("A") == ["A1", "A2"]
    assert script.of("B") == ["B1"]


# -- dead letters settled by a person ----------------------------------------------------


async def test_a_retried_dead_letter_is_applied_once_in_its_place(own_bus: Bus) -> None:
    families = Families()
    script = Script(failures={"A1": always(KeyError("family_code"))})
    await publish(own_bus, families, "A1", "A2", "B1")
    async with consuming(own_bus, script):
        entries = await eventually(lambda: book(own_bus), until=lambda e: len(e) == 1)
        # The dead letter keeps the family's lane stopped; other families go on.
        await eventually(lambda: _now(script.applied), until=lambda a: a == ["B1"])
        await publish(own_bus, families, "B2")
        await eventually(lambda: _now(script.applied), until=lambda a: a == ["B1", "B2"])
        script.failures.clear()
        await deadletter.settle(
            own_bus, entries[0], deadletter.Action.RETRY, actor="ana", reason="corregido"
        )
        settled = await eventually(
            lambda: book(own_bus), until=lambda e: e[0].status is deadletter.Status.SETTLED
        )
        await eventually(lambda: _now(script.applied), until=lambda a: len(a) == 4)
    assert script.of("A") == ["A1", "A2"]
    assert settled[0].outcome is not None
    assert settled[0].outcome.result is deadletter.Result.APPLIED
    assert settled[0].settlement is not None
    assert (settled[0].settlement.actor, settled[0].settlement.reason) == ("ana", "corregido")
    with pytest.raises(deadletter.AlreadySettled):
        await deadletter.settle(
            own_bus, settled[0], deadletter.Action.RETRY, actor="ana", reason=None
        )


async def test_a_discarded_dead_letter_is_never_applied_and_its_lane_goes_on(
    own_bus: Bus,
) -> None:
    families = Families()
    script = Script(failures={"A1": always(IllegalTransition("No corresponde"))})
    await publish(own_bus, families, "A1", "A2")
    async with consuming(own_bus, script):
        entries = await eventually(lambda: book(own_bus), until=lambda e: len(e) == 1)
        await deadletter.settle(
            own_bus, entries[0], deadletter.Action.DISCARD, actor="ana", reason="duplicado"
        )
        await eventually(lambda: _now(script.applied), until=lambda a: a == ["A2"])
        settled = await book(own_bus)
        await eventually(lambda: ack_pending(own_bus), until=lambda n: n == 0)
    assert script.attempts["A1"] == 1
    assert settled[0].outcome is not None
    assert settled[0].outcome.result is deadletter.Result.DISCARDED


async def test_a_retry_that_fails_again_is_a_new_dead_letter_and_the_lane_stays_stopped(
    own_bus: Bus,
) -> None:
    families = Families()
    script = Script(failures={"A1": always(KeyError("family_code"))})
    await publish(own_bus, families, "A1", "A2")
    async with consuming(own_bus, script):
        first = (await eventually(lambda: book(own_bus), until=lambda e: len(e) == 1))[0]
        await deadletter.settle(own_bus, first, deadletter.Action.RETRY, actor="ana", reason=None)
        entries = await eventually(
            lambda: book(own_bus),
            until=lambda e: len(e) == 2 and e[0].status is deadletter.Status.SETTLED,
        )
        assert entries[0].outcome is not None
        assert entries[0].outcome.result is deadletter.Result.FAILED
        assert entries[1].record.retry_of == first.id
        assert entries[0].outcome.new_dead_letter == entries[1].id
        assert script.applied == []
        script.failures.clear()
        await deadletter.settle(
            own_bus, entries[1], deadletter.Action.RETRY, actor="ana", reason=None
        )
        await eventually(lambda: _now(script.applied), until=lambda a: len(a) == 2)
    assert script.applied == ["A1", "A2"]


async def _now(value: T) -> T:
    """A probe for `eventually` that reads what the consumer has done so far."""
    return value


async def test_an_event_earlier_than_its_lanes_head_fails_on_a_lane_of_its_own(
    own_bus: Bus,
) -> None:
    """An event older than its family's stopped head (its ack was lost, a NATS crash) runs;
    if it fails it does not take over, nor reset, the family's lane."""
    families = Families()
    store = await LaneStore.open(own_bus, "intake", DURABLE)
    stopped = Lane(
        key=families["A"],
        family_id=families["A"],
        head=99,
        state=LaneState.RETRYING,
        attempts=1,
        since=datetime.now(UTC),
    )
    await store.put(stopped)
    script = Script(failures={"A1": always(KeyError("family_code"))})
    await publish(own_bus, families, "A1")
    async with consuming(own_bus, script):
        entries = await eventually(lambda: book(own_bus), until=lambda e: len(e) == 1)
    assert entries[0].record.lane == "seq-1"
    assert entries[0].record.attempts == MAX_DELIVERIES
    lanes = await LaneStore.open(own_bus, "intake", DURABLE)
    assert lanes.get(families["A"]) == stopped


async def test_a_transient_failure_that_outlasts_its_patience_becomes_a_dead_letter(
    own_bus: Bus,
) -> None:
    """Transient failures are bounded too: by attempts and by time (here no time at all)."""
    impatient = own_bus.settings.model_copy(update={"consumer_transient_patience_seconds": 0})
    bus = await Bus.connect(impatient, name="tests-consumer-impatient")
    try:
        families = Families()
        script = Script(failures={"A1": always(DependencyUnavailable("Nadie atiende"))})
        await publish(bus, families, "A1")
        async with consuming(bus, script):
            entries = await eventually(lambda: book(bus), until=lambda e: len(e) == 1)
    finally:
        await bus.close()
    assert (entries[0].record.failure, entries[0].record.attempts) == ("transitorio", 3)
    assert script.attempts["A1"] == MAX_DELIVERIES
