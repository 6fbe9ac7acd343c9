"""The dead-letter stream: events a consumer gave up on, and what people decided about them.

One JetStream stream, `DEADLETTER` (prefixed like the others), holds three kinds of record,
each on its own subject so a reader can tell them apart:

- `deadletter.<durable>.<owner>`: a dead letter — a copy of the event (its bytes and
  headers) with its original subject, stream sequence, consumer, family, how many times it
  was delivered and tried, and the error. Its id is its sequence in this stream.
- `deadletter.<durable>.<owner>.settle`: a person's decision on one dead letter — retry or
  discard — with who, when and why (`familias eventos reintentar|descartar`). This record
  is the audit of the decision; the stream keeps it with no age limit.
- `deadletter.<durable>.<owner>.outcome`: what the consumer did with that decision
  (applied, failed again — with the new dead letter's id —, discarded, or nothing to do).

A decision is carried out by the consumer that owns the dead letter (EventConsumer reads
its `.settle` subject through a durable consumer), so it is applied in the family's lane
order even when that process was down when the person decided.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import ConsumerConfig, DeliverPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.bus.client import Bus
from shared.bus.failures import Failure
from shared.contracts.envelope import Envelope

STREAM = "DEADLETTER"
ROOT = "deadletter"
# A dead letter, a decision or an outcome published twice (a crash between publishing and
# recording it) is dropped within this window: their ids are deterministic.
DUPLICATE_WINDOW_SECONDS = 15 * 60


class Action(StrEnum):
    RETRY = "reintentar"
    DISCARD = "descartar"


class Result(StrEnum):
    APPLIED = "aplicada"
    FAILED = "fallo"
    DISCARDED = "descartada"
    NO_EFFECT = "sin_efecto"


class DeadLetter(BaseModel):
    """An event a consumer gave up on; `data` is the original message, base64."""

    model_config = ConfigDict(frozen=True)

    consumer: str
    owner: str
    stream: str
    subject: str
    stream_sequence: int
    lane: str
    family_id: str | None = None
    event_id: str | None = None
    attempts: int
    deliveries: int
    failure: Failure
    error: str
    dead_at: datetime
    retry_of: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    data: str

    def original(self) -> bytes:
        return base64.b64decode(self.data)

    def envelope(self) -> Envelope:
        return Envelope.model_validate_json(self.original())


class Settlement(BaseModel):
    """A person's decision on a dead letter: the audit record (who, when, why)."""

    model_config = ConfigDict(frozen=True)

    dead_letter: int
    action: Action
    actor: str = Field(min_length=1)
    reason: str | None = None
    at: datetime


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    dead_letter: int
    action: Action
    result: Result
    detail: str = ""
    new_dead_letter: int | None = None
    at: datetime


class Status(StrEnum):
    PENDING = "pendiente"
    REQUESTED = "solicitada"  # decided, the consumer has not acted yet
    SETTLED = "resuelta"


@dataclass
class Entry:
    """One dead letter with the decision and the outcome recorded for it, if any."""

    id: int
    record: DeadLetter
    settlement: Settlement | None = None
    settlement_id: int | None = None
    outcome: Outcome | None = None
    later: list[int] = field(default_factory=list)

    @property
    def status(self) -> Status:
        if self.settlement is None:
            return Status.PENDING
        if self.outcome is None:
            return Status.REQUESTED
        return Status.SETTLED


def stream_name(bus: Bus) -> str:
    return f"{bus.settings.stream_prefix}{STREAM}"


def letters_subject(bus: Bus, durable: str, owner: str) -> str:
    return bus.subject(f"{ROOT}.{durable}.{owner}")


def settle_subject(bus: Bus, durable: str, owner: str) -> str:
    return bus.subject(f"{ROOT}.{durable}.{owner}.settle")


def outcome_subject(bus: Bus, durable: str, owner: str) -> str:
    return bus.subject(f"{ROOT}.{durable}.{owner}.outcome")


async def ensure_stream(bus: Bus) -> str:
    config = StreamConfig(
        name=stream_name(bus),
        subjects=[bus.subject(f"{ROOT}.>")],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )
    try:
        await bus.js.add_stream(config)
    except BadRequestError:
        await bus.js.update_stream(config)
    return config.name or ""


async def publish_dead_letter(bus: Bus, letter: DeadLetter, *, generation: int) -> int:
    """Store a dead letter; its id. The same event's same generation is stored once."""
    ack = await bus.js.publish(
        letters_subject(bus, letter.consumer, letter.owner),
        letter.model_dump_json().encode(),
        headers={
            "Nats-Msg-Id": (
                f"dl:{letter.stream}:{letter.consumer}:{letter.stream_sequence}:{generation}"
            )
        },
    )
    return ack.seq


async def publish_outcome(bus: Bus, durable: str, owner: str, outcome: Outcome) -> None:
    await bus.js.publish(
        outcome_subject(bus, durable, owner),
        outcome.model_dump_json().encode(),
        headers={"Nats-Msg-Id": f"outcome:{stream_name(bus)}:{outcome.dead_letter}"},
    )


async def load_dead_letter(bus: Bus, dead_letter_id: int) -> DeadLetter | None:
    """The dead letter with this id, or None (no such record, or not a dead letter)."""
    try:
        message = await bus.js.get_msg(stream_name(bus), dead_letter_id)
    except NotFoundError:
        return None
    if message.subject is None or _kind(bus, message.subject) != "letter" or not message.data:
        return None
    try:
        return DeadLetter.model_validate_json(message.data)
    except ValidationError:
        return None


async def read_book(bus: Bus) -> dict[int, Entry]:
    """Every dead letter with its decision and outcome, by id, oldest first."""
    name = stream_name(bus)
    try:
        info = await bus.js.stream_info(name)
    except NotFoundError:
        return {}
    if not info.state.messages:
        return {}
    entries: dict[int, Entry] = {}
    settlements: list[tuple[int, Settlement]] = []
    outcomes: list[Outcome] = []
    subscription = await bus.js.subscribe(
        bus.subject(f"{ROOT}.>"),
        stream=name,
        ordered_consumer=True,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
    )
    try:
        while True:
            try:
                message = await subscription.next_msg(timeout=5.0)
            except (NatsTimeoutError, TimeoutError):
                break
            sequence = message.metadata.sequence.stream
            kind = _kind(bus, message.subject)
            try:
                if kind == "letter":
                    entries[sequence] = Entry(
                        sequence, DeadLetter.model_validate_json(message.data)
                    )
                elif kind == "settle":
                    settlements.append((sequence, Settlement.model_validate_json(message.data)))
                elif kind == "outcome":
                    outcomes.append(Outcome.model_validate_json(message.data))
            except ValidationError:
                pass
            if message.metadata.num_pending == 0:
                break
    finally:
        await subscription.unsubscribe()
    for sequence, settlement in settlements:
        entry = entries.get(settlement.dead_letter)
        if entry is not None and entry.settlement is None:
            entry.settlement, entry.settlement_id = settlement, sequence
    for outcome in outcomes:
        entry = entries.get(outcome.dead_letter)
        if entry is not None and entry.outcome is None:
            entry.outcome = outcome
            if outcome.new_dead_letter is not None:
                entry.later.append(outcome.new_dead_letter)
    return entries


class AlreadySettled(Exception):
    """Somebody decided on this dead letter already."""


async def settle(
    bus: Bus, entry: Entry, action: Action, *, actor: str, reason: str | None
) -> Settlement:
    """Record a person's decision; the owning consumer carries it out. Once per dead letter."""
    if entry.settlement is not None:
        raise AlreadySettled
    settlement = Settlement(
        dead_letter=entry.id, action=action, actor=actor, reason=reason, at=datetime.now(UTC)
    )
    ack = await bus.js.publish(
        settle_subject(bus, entry.record.consumer, entry.record.owner),
        settlement.model_dump_json().encode(),
        headers={"Nats-Msg-Id": f"settle:{stream_name(bus)}:{entry.id}"},
    )
    if ack.duplicate:
        raise AlreadySettled
    return settlement


def _kind(bus: Bus, subject: str) -> Literal["letter", "settle", "outcome", "other"]:
    parts = subject.removeprefix(bus.subject("")).split(".")
    if parts[0] != ROOT:
        return "other"
    if len(parts) == 3:
        return "letter"
    if len(parts) == 4 and parts[3] in ("settle", "outcome"):
        return "settle" if parts[3] == "settle" else "outcome"
    return "other"
