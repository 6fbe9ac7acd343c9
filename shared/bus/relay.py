"""The outbox relay: publishes committed events to JetStream, in order, at least once.

Each pass locks a batch of unpublished rows (`FOR UPDATE SKIP LOCKED`), publishes them all
concurrently with `Nats-Msg-Id` = row id (JetStream drops a republish inside its duplicate
window), and marks them sent in the same transaction. If NATS is down the transaction rolls
back and the rows wait; the relay backs off and catches up when NATS returns.

Run as its own process: `python -m shared.bus.relay intake`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from dataclasses import dataclass

import asyncpg

from shared.bus.client import Bus
from shared.bus.consumer import FAMILY_HEADER
from shared.bus.heartbeat import Heartbeat
from shared.db.base import OUTBOX_NOTIFY_CHANNEL
from shared.db.engine import asyncpg_dsn
from shared.observability import get_logger
from shared.process import mark_ready, run_process
from shared.settings import SERVICES, ServiceName, Settings

log = get_logger(__name__)

_SELECT_BATCH = """
    SELECT id, subject, payload::text AS payload, payload->>'family_id' AS family_id
    FROM outbox
    WHERE published_at IS NULL
    ORDER BY seq
    LIMIT $1
    FOR UPDATE SKIP LOCKED
"""
_MARK_SENT = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])"
_PURGE_SENT = "DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1)"


@dataclass
class RelayStats:
    taken: int = 0  # rows picked up for publishing, published or not
    published: int = 0
    passes: int = 0
    failures: int = 0  # passes that ended without publishing: NATS or the database down


class OutboxRelay:
    def __init__(
        self,
        bus: Bus,
        owner: str,
        database_url: str,
        *,
        batch_size: int,
        poll_seconds: float,
    ) -> None:
        self.bus = bus
        self.owner = owner
        self.dsn = asyncpg_dsn(database_url)
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.stats = RelayStats()
        self._wake = asyncio.Event()

    async def publish_pending(self, connection: asyncpg.Connection) -> int:
        """One pass: publish up to one batch. Returns how many rows were published."""
        async with connection.transaction():
            rows = await connection.fetch(_SELECT_BATCH, self.batch_size)
            if not rows:
                return 0
            self.stats.taken += len(rows)
            futures = [
                await self.bus.js.publish_async(
                    self.bus.subject(row["subject"]),
                    row["payload"].encode(),
                    headers=relay_headers(row["id"], row["family_id"]),
                )
                for row in rows
            ]
            await asyncio.wait_for(asyncio.gather(*futures), timeout=30)
            await connection.execute(_MARK_SENT, [row["id"] for row in rows])
        self.stats.published += len(rows)
        self.stats.passes += 1
        return len(rows)

    async def run(self, stop: asyncio.Event, retention_days: int = 7) -> None:
        backoff = 0.5
        stream_ready = False
        while not stop.is_set():
            if not stream_ready:
                # NATS may be down or JetStream still recovering when the relay starts:
                # keep trying, the rows wait in the outbox meanwhile.
                try:
                    await self.bus.ensure_stream(self.owner)
                    stream_ready = True
                except Exception as exc:
                    self.stats.failures += 1
                    log.warning("relay_stream_unavailable", error=repr(exc))
                    await _sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, 10)
                    continue
            try:
                connection = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                self.stats.failures += 1
                log.warning("relay_database_unavailable", error=str(exc))
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 10)
                continue
            try:
                await connection.add_listener(OUTBOX_NOTIFY_CHANNEL, self._on_notify)
                await connection.execute(_PURGE_SENT, retention_days)
                backoff = 0.5
                while not stop.is_set():
                    published = await self.publish_pending(connection)
                    if published == self.batch_size:
                        continue
                    self._wake.clear()
                    await _wait_any(stop, self._wake, self.poll_seconds)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self.stats.failures += 1
                log.warning("relay_database_error", error=str(exc))
            except Exception as exc:
                # NATS unavailable or a publish not acknowledged: rows stay unpublished.
                self.stats.failures += 1
                log.warning("relay_publish_failed", error=repr(exc))
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 10)
            finally:
                await _close_quietly(connection)

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()


def relay_headers(row_id: object, family_id: str | None) -> dict[str, str]:
    headers = {"Nats-Msg-Id": str(row_id)}
    if family_id:
        headers[FAMILY_HEADER] = family_id
    return headers


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _close_quietly(connection: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(connection.close(), timeout=2)
    except Exception:
        connection.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description="Relay del outbox de un servicio hacia NATS")
    parser.add_argument("service", choices=SERVICES)
    service: ServiceName = parser.parse_args().service

    async def run_relay(settings: Settings, stop: asyncio.Event) -> None:
        bus = await Bus.connect(settings, name=f"relay-{service}")
        relay = OutboxRelay(
            bus,
            service,
            settings.service_database_url(service),
            batch_size=settings.relay_batch_size,
            poll_seconds=settings.relay_poll_seconds,
        )
        heartbeat = Heartbeat(bus, f"relay-{service}", settings.heartbeat_seconds)
        async with heartbeat.running(lambda: json.dumps({"publicados": relay.stats.published})):
            await bus.ensure_stream(service)
            mark_ready(settings, f"relay-{service}")
            await relay.run(stop)
        await bus.close()

    run_process(f"relay-{service}", run_relay)


if __name__ == "__main__":
    main()
