"""The outbox relay publishes every committed event once, in order, and survives NATS outages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from uuid import uuid4

import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import text

from deploy.local.stack import LocalStack
from shared.bus.client import Bus
from shared.bus.relay import OutboxRelay
from shared.contracts.envelope import Envelope
from shared.contracts.intake import FamilyReferred
from shared.db.outbox import add_events
from tests.conftest import ServiceUnderTest
from tests.support.waiting import eventually


def referred(code: str) -> Envelope:
    family_id = uuid4()
    data = FamilyReferred(
        family_id=family_id,
        family_code=code,
        comuna="Conchalí",
        cohort_year=2024,
        referred_on=date(2024, 3, 1),
        member_count=2,
    )
    return Envelope.wrap(data, producer="tests", family_id=family_id)


async def stream_messages(bus: Bus, codes: set[str]) -> list[str]:
    """Family codes of the events in the intake stream that belong to this test, in order."""
    subscription = await bus.js.subscribe(
        bus.subject("intake.evt.>"),
        ordered_consumer=True,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
    )
    seen: list[str] = []
    try:
        while True:
            try:
                message = await subscription.next_msg(timeout=0.5)
            except TimeoutError:
                break
            code = Envelope.model_validate_json(message.data).data.get("family_code")
            if code in codes:
                seen.append(code)
    finally:
        await subscription.unsubscribe()
    return seen


@pytest.fixture
async def relay(intake: ServiceUnderTest, it_bus: Bus) -> AsyncIterator[OutboxRelay]:
    relay = OutboxRelay(
        it_bus,
        "intake",
        intake.runtime.settings.service_database_url("intake"),
        batch_size=50,
        poll_seconds=0.2,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    yield relay
    stop.set()
    await asyncio.wait_for(task, timeout=10)


async def unpublished(service: ServiceUnderTest, ids: list[object]) -> int:
    async with service.runtime.sessions() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM outbox WHERE published_at IS NULL AND id = ANY(:ids)"),
            {"ids": ids},
        )
    return int(count or 0)


async def test_committed_events_are_published_in_order_and_marked_sent(
    intake: ServiceUnderTest, it_bus: Bus, relay: OutboxRelay
) -> None:
    events = [referred(f"orden-{uuid4().hex[:6]}-{i:03d}") for i in range(120)]
    async with intake.runtime.sessions() as session, session.begin():
        await add_events(session, events)
    codes = [e.data["family_code"] for e in events]
    await eventually(
        lambda: unpublished(intake, [e.event_id for e in events]), until=lambda n: n == 0
    )
    assert await stream_messages(it_bus, set(codes)) == codes


async def test_a_rolled_back_transaction_publishes_nothing(
    intake: ServiceUnderTest, it_bus: Bus, relay: OutboxRelay
) -> None:
    event = referred(f"rollback-{uuid4().hex[:6]}")

    async def failing_change() -> None:
        async with intake.runtime.sessions() as session, session.begin():
            await add_events(session, [event])
            raise RuntimeError("the business change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    marker = referred(f"marker-{uuid4().hex[:6]}")
    async with intake.runtime.sessions() as session, session.begin():
        await add_events(session, [marker])
    await eventually(lambda: unpublished(intake, [marker.event_id]), until=lambda n: n == 0)
    codes = {event.data["family_code"], marker.data["family_code"]}
    assert await stream_messages(it_bus, codes) == [marker.data["family_code"]]


async def test_republishing_the_same_row_is_dropped_by_jetstream(it_bus: Bus) -> None:
    await it_bus.ensure_stream("intake")
    event = referred(f"dup-{uuid4().hex[:6]}")
    headers = {"Nats-Msg-Id": str(event.event_id)}
    first = await it_bus.js.publish(
        it_bus.subject(event.subject), event.model_dump_json().encode(), headers=headers
    )
    second = await it_bus.js.publish(
        it_bus.subject(event.subject), event.model_dump_json().encode(), headers=headers
    )
    assert second.duplicate
    assert not first.duplicate
    assert await stream_messages(it_bus, {event.data["family_code"]}) == [event.data["family_code"]]


def stat(relay: OutboxRelay, name: str) -> Callable[[], Awaitable[int]]:
    async def read() -> int:
        return int(getattr(relay.stats, name))

    return read


async def test_events_written_while_nats_is_down_are_published_when_it_returns(
    intake: ServiceUnderTest, it_bus: Bus, relay: OutboxRelay, servers: LocalStack
) -> None:
    servers.supervisor.stop_process("nats")
    try:
        events = [referred(f"caida-{uuid4().hex[:6]}-{i}") for i in range(20)]
        before = (relay.stats.taken, relay.stats.failures)
        async with intake.runtime.sessions() as session, session.begin():
            await add_events(session, events)

        async def tried() -> tuple[int, int]:
            return relay.stats.taken, relay.stats.failures

        # The relay picked the rows up, or failed to reach NATS: either way none is sent.
        await eventually(
            tried, until=lambda now: now[0] >= before[0] + 20 or now[1] > before[1], timeout=60
        )
        assert await unpublished(intake, [e.event_id for e in events]) == 20
    finally:
        servers.supervisor.resume_process("nats")
    await eventually(
        lambda: unpublished(intake, [e.event_id for e in events]),
        until=lambda n: n == 0,
        timeout=60,
    )
    codes = [e.data["family_code"] for e in events]
    assert await stream_messages(it_bus, set(codes)) == codes


async def test_a_relay_started_while_nats_is_down_waits_for_it(
    intake: ServiceUnderTest, it_bus: Bus, servers: LocalStack
) -> None:
    events = [referred(f"arranque-{uuid4().hex[:6]}-{i}") for i in range(5)]
    async with intake.runtime.sessions() as session, session.begin():
        await add_events(session, events)
    servers.supervisor.stop_process("nats")
    stop = asyncio.Event()
    try:
        relay = OutboxRelay(
            it_bus,
            "intake",
            intake.runtime.settings.service_database_url("intake"),
            batch_size=50,
            poll_seconds=0.2,
        )
        task = asyncio.create_task(relay.run(stop))
        await eventually(stat(relay, "failures"), until=lambda n: n >= 1, timeout=60)
        assert not task.done(), "the relay gave up while NATS was down"
    finally:
        servers.supervisor.resume_process("nats")
    try:
        await eventually(
            lambda: unpublished(intake, [e.event_id for e in events]),
            until=lambda n: n == 0,
            timeout=60,
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
