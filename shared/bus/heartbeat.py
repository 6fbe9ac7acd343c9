"""Liveness of background processes (worker, bridge, relays) in a NATS key-value bucket.

Each process puts its name every few seconds; entries expire, so a process that stopped
beating disappears and `familias estado` reports it down.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, NoKeysError
from nats.js.kv import KeyValue

from shared.bus.client import Bus
from shared.observability import get_logger

log = get_logger(__name__)

BUCKET = "familias_procesos"


async def heartbeat_bucket(bus: Bus, ttl_seconds: float) -> KeyValue:
    name = f"{bus.settings.stream_prefix}{BUCKET}"
    try:
        return await bus.js.key_value(name)
    except BucketNotFoundError:
        return await bus.js.create_key_value(
            KeyValueConfig(bucket=name, ttl=ttl_seconds, storage=StorageType.MEMORY, history=1)
        )


class Heartbeat:
    def __init__(self, bus: Bus, process: str, every_seconds: float) -> None:
        self.bus = bus
        self.process = process
        self.every = every_seconds

    async def beat_forever(self, details: Callable[[], str]) -> None:
        bucket = await heartbeat_bucket(self.bus, ttl_seconds=self.every * 3)
        while True:
            record = {
                "proceso": self.process,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "en": datetime.now(UTC).isoformat(),
                "detalle": details(),
            }
            try:
                await bucket.put(self.process, json.dumps(record).encode())
            except Exception as exc:
                log.debug("heartbeat_failed", error=str(exc))
            await asyncio.sleep(self.every)

    @asynccontextmanager
    async def running(self, details: Callable[[], str] = lambda: "") -> AsyncIterator[None]:
        task = asyncio.create_task(self.beat_forever(details))
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


async def read_heartbeats(bus: Bus) -> dict[str, dict[str, object]]:
    """Processes that beat recently, by name."""
    bucket = await heartbeat_bucket(bus, ttl_seconds=bus.settings.heartbeat_seconds * 3)
    try:
        keys = await bucket.keys()
    except NoKeysError:
        return {}
    beats: dict[str, dict[str, object]] = {}
    for key in keys:
        with suppress(Exception):
            entry = await bucket.get(key)
            if entry.value:
                beats[key] = json.loads(entry.value)
    return beats
