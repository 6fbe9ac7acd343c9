"""Outbox relay throughput: batched asynchronous publish against one-at-a-time publish.

Both paths read the same outbox table on a real PostgreSQL, publish to a real JetStream
stream with `Nats-Msg-Id`, and mark the rows sent. The baseline awaits each publish
acknowledgement before the next (what a naive relay does); the relay under test is
`shared.bus.relay.OutboxRelay`. Rounds alternate the two so drift in the machine's load
hits both; the figure that matters is their ratio within one run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from uuid import uuid4

import asyncpg
from sqlalchemy import insert

from bench.support import bench_servers, migrated_database
from shared.bus.client import Bus
from shared.bus.relay import OutboxRelay, relay_headers
from shared.contracts.envelope import Envelope
from shared.contracts.intake import FamilyReferred
from shared.db.engine import asyncpg_dsn, create_engine
from shared.db.outbox import outbox_row, outbox_table
from shared.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[1] / "services" / "payments" / "migrations"
BASELINE_SHARE = 4  # the baseline is slow: it publishes a quarter as many events per round


def _envelope(number: int) -> Envelope:
    family_id = uuid4()
    data = FamilyReferred(
        family_id=family_id,
        family_code=f"B-{number:09d}",
        comuna="Conchalí",
        cohort_year=2026,
        referred_on=date(2026, 3, 1),
        member_count=3,
    )
    return Envelope.wrap(data, producer="bench", family_id=family_id)


async def fill_outbox(url: str, count: int) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            rows = [outbox_row(_envelope(n)) for n in range(count)]
            for start in range(0, count, 5000):
                await connection.execute(insert(outbox_table), rows[start : start + 5000])
    finally:
        await engine.dispose()


async def publish_one_at_a_time(bus: Bus, dsn: str) -> int:
    """The naive relay: await each JetStream acknowledgement before the next publish."""
    connection = await asyncpg.connect(dsn)
    published = 0
    try:
        while True:
            async with connection.transaction():
                rows = await connection.fetch(
                    "SELECT id, subject, payload::text AS payload, payload->>'family_id' AS fid "
                    "FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT 1000 "
                    "FOR UPDATE SKIP LOCKED"
                )
                if not rows:
                    return published
                for row in rows:
                    await bus.js.publish(
                        bus.subject(row["subject"]),
                        row["payload"].encode(),
                        headers=relay_headers(row["id"], row["fid"]),
                    )
                await connection.execute(
                    "UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])",
                    [row["id"] for row in rows],
                )
                published += len(rows)
    finally:
        await connection.close()


async def publish_with_relay(bus: Bus, url: str, batch_size: int) -> int:
    relay = OutboxRelay(bus, "intake", url, batch_size=batch_size, poll_seconds=1)
    connection = await asyncpg.connect(relay.dsn)
    published = 0
    try:
        while batch := await relay.publish_pending(connection):
            published += batch
    finally:
        await connection.close()
    return published


async def _timed(label: str, events: int, url: str, run: Callable[[], Awaitable[int]]) -> float:
    await fill_outbox(url, events)
    started = time.perf_counter()
    published = await run()
    elapsed = time.perf_counter() - started
    if published != events:
        raise RuntimeError(f"{label}: se publicaron {published} de {events} eventos")
    return events / elapsed


async def main(*, events: int, rounds: int) -> None:
    with bench_servers() as stack:
        await _run(stack.settings, events, rounds)


async def _run(settings: Settings, events: int, rounds: int) -> None:
    url = await migrated_database(settings, "payments", MIGRATIONS)
    bus = await Bus.connect(settings, name="bench")
    await bus.ensure_stream("intake")
    dsn = asyncpg_dsn(url)
    baseline_events = max(events // BASELINE_SHARE, 1)
    naive: list[float] = []
    batched: list[float] = []
    try:
        for _ in range(rounds):
            naive.append(
                await _timed(
                    "uno a uno", baseline_events, url, lambda: publish_one_at_a_time(bus, dsn)
                )
            )
            batched.append(
                await _timed(
                    "relay",
                    events,
                    url,
                    lambda: publish_with_relay(bus, url, settings.relay_batch_size),
                )
            )
    finally:
        await bus.close()
    ratios = [b / n for b, n in zip(batched, naive, strict=True)]
    print(f"relay del outbox — {rounds} rondas, {events} eventos (uno a uno: {baseline_events})")
    print(f"  uno a uno (publish + ack):   {_summary(naive)} eventos/s")
    print(f"  relay por lotes (async):     {_summary(batched)} eventos/s")
    print(f"  razón relay / uno a uno:     {_summary(ratios, digits=1)}")


def _summary(values: list[float], digits: int = 0) -> str:
    return (
        f"mediana {statistics.median(values):,.{digits}f} "
        f"(mín {min(values):,.{digits}f}, máx {max(values):,.{digits}f})"
    )
