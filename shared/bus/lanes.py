"""A consumer's stopped lanes, kept in a JetStream key-value bucket so they outlive a restart.

A lane is one family's events for one consumer (one durable on one producer's stream). It
is recorded only while it is stopped: its `head` is the stream sequence that must be
applied — or settled by a person — before any later event of the family; `held` are the
later ones seen meanwhile, each applied in stream order once its turn comes. A lane that
flows normally has no record, so the happy path writes nothing here.

Keys: `<owner>.<durable>.<family id>` (`seq-<n>` for an event that names no family, which
stops nothing but itself), plus `<owner>.<durable>.en-curso`: the families of the batch the
consumer is applying (see `EventConsumer` on restarts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from enum import StrEnum
from hashlib import sha256

from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, NoKeysError
from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.bus.client import Bus
from shared.observability import get_logger

log = get_logger(__name__)

BUCKET = "familias_carriles"
IN_FLIGHT = "en-curso"
_KEY_SAFE = re.compile(r"^[-_=a-zA-Z0-9]+$")


class LaneState(StrEnum):
    RETRYING = "reintentando"  # the head failed and comes again with backoff
    DEAD = "carta_muerta"  # the head is in the dead-letter stream, waiting for a person
    WAITING = "esperando"  # the head did not fail: it is on its way back (held, or in flight)


class Lane(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    family_id: str | None = None
    head: int
    held: tuple[int, ...] = ()
    state: LaneState
    attempts: int = 0  # failed runs of the head
    error: str = ""
    since: datetime  # when the head stopped the lane
    dead_letter: int | None = None  # the head's dead letter while state is DEAD
    dead_letters: int = 0  # dead letters the head produced so far (retries that failed)
    # A head that was being applied when the consumer stopped: if JetStream has not
    # brought it back by then, it had been acknowledged (see EventConsumer).
    release_at: datetime | None = None

    def holding(self, sequence: int) -> Lane:
        return self.model_copy(update={"held": tuple(sorted({*self.held, sequence}))})

    def advanced(self) -> Lane | None:
        """The lane once its head is applied or settled: the next held event's turn."""
        if not self.held:
            return None
        following = min(self.held)
        return Lane(
            key=self.key,
            family_id=self.family_id,
            head=following,
            held=tuple(s for s in self.held if s != following),
            state=LaneState.WAITING,
            since=datetime.now(UTC),
        )


def lane_key(family_id: str | None, sequence: int) -> str:
    """A family's lane; an event without family is a lane of its own."""
    if not family_id:
        return f"seq-{sequence}"
    if _KEY_SAFE.match(family_id):
        return family_id
    return f"h-{sha256(family_id.encode()).hexdigest()[:40]}"


async def lanes_bucket(bus: Bus) -> KeyValue:
    name = f"{bus.settings.stream_prefix}{BUCKET}"
    try:
        return await bus.js.key_value(name)
    except BucketNotFoundError:
        with suppress(Exception):  # another consumer may create it at the same moment
            return await bus.js.create_key_value(
                KeyValueConfig(bucket=name, storage=StorageType.FILE, history=1)
            )
        return await bus.js.key_value(name)


class LaneStore:
    """The stopped lanes of one consumer: read once at start, then written through."""

    def __init__(self, bucket: KeyValue, owner: str, durable: str) -> None:
        self.bucket = bucket
        self.prefix = f"{owner}.{durable}."
        self.lanes: dict[str, Lane] = {}

    @classmethod
    async def open(cls, bus: Bus, owner: str, durable: str) -> LaneStore:
        store = cls(await lanes_bucket(bus), owner, durable)
        for key, value in (await _entries(store.bucket, f"{store.prefix}>")).items():
            name = key.removeprefix(store.prefix)
            if name == IN_FLIGHT:
                continue
            lane = _parse(key, value)
            if lane is not None:
                store.lanes[name] = lane
        return store

    def get(self, key: str) -> Lane | None:
        return self.lanes.get(key)

    def all(self) -> list[Lane]:
        return list(self.lanes.values())

    async def put(self, lane: Lane) -> None:
        await self.bucket.put(self.prefix + lane.key, lane.model_dump_json().encode())
        self.lanes[lane.key] = lane

    async def remove(self, key: str) -> None:
        await self.bucket.delete(self.prefix + key)
        self.lanes.pop(key, None)

    async def replace(self, lane: Lane, following: Lane | None) -> None:
        """The lane after its head: the next one, or no record at all."""
        if following is None:
            await self.remove(lane.key)
        else:
            await self.put(following)

    async def mark_in_flight(self, heads: Mapping[str, tuple[int, str | None]]) -> None:
        """Before a batch: each family's first sequence in it (and its family id)."""
        body = InFlight(heads={k: InFlightHead(head=s, family_id=f) for k, (s, f) in heads.items()})
        await self.bucket.put(self.prefix + IN_FLIGHT, body.model_dump_json().encode())

    async def clear_in_flight(self) -> None:
        await self.bucket.delete(self.prefix + IN_FLIGHT)

    async def in_flight(self) -> InFlight | None:
        try:
            entry = await self.bucket.get(self.prefix + IN_FLIGHT)
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        try:
            return InFlight.model_validate_json(entry.value)
        except ValidationError:
            return None


class InFlightHead(BaseModel):
    head: int
    family_id: str | None = None


class InFlight(BaseModel):
    heads: dict[str, InFlightHead]


async def read_lanes(bus: Bus) -> list[tuple[str, str, Lane]]:
    """Every consumer's stopped lanes, as (owner, durable, lane): for `familias estado`."""
    found: list[tuple[str, str, Lane]] = []
    for key, value in (await _entries(await lanes_bucket(bus), ">")).items():
        owner, durable, name = [*key.split(".", 2), "", ""][:3]
        if name == IN_FLIGHT or not name:
            continue
        lane = _parse(key, value)
        if lane is not None:
            found.append((owner, durable, lane))
    return found


async def _entries(bucket: KeyValue, subject_filter: str) -> dict[str, bytes]:
    """Current values of the keys under a filter (deleted keys left out)."""
    watcher = await bucket.watch(subject_filter, ignore_deletes=True)
    entries: dict[str, bytes] = {}
    try:
        while True:
            entry = await watcher.updates(timeout=5.0)  # type: ignore[no-untyped-call]
            if entry is None:
                break
            if entry.value:
                entries[entry.key] = entry.value
    except NoKeysError:
        pass
    finally:
        await watcher.stop()  # type: ignore[no-untyped-call]
    return entries


def _parse(key: str, value: bytes) -> Lane | None:
    try:
        return Lane.model_validate_json(value)
    except ValidationError as exc:
        log.error("lane_unreadable", key=key, error=str(exc))
        return None
