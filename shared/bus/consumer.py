"""Durable JetStream pull consumers with explicit acks.

A handler that returns normally acks the message; one that raises a `DomainError` marks it
terminal (it will never succeed: logged and kept in the stream for audit); any other error
naks it with a delay so it is redelivered. Handlers must be idempotent: after a server crash
acks of the last second are lost and those messages come again (STACK.md).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from shared.bus.client import Bus
from shared.contracts.envelope import Envelope
from shared.errors import DomainError
from shared.observability import get_logger

log = get_logger(__name__)

FAMILY_HEADER = "Familias-Family-Id"

EnvelopeHandler = Callable[[Envelope], Awaitable[None]]

REDELIVERY_DELAY_SECONDS = 2.0


async def consume(
    bus: Bus,
    *,
    owner: str,
    durable: str,
    handler: EnvelopeHandler,
    stop: asyncio.Event,
    filter_subject: str | None = None,
    batch: int = 100,
) -> None:
    """Run one durable consumer until `stop` is set."""
    stream = await bus.ensure_stream(owner)
    subscription = await bus.js.pull_subscribe(
        bus.subject(filter_subject or f"{owner}.evt.>"),
        durable=durable,
        stream=stream,
        config=ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=30,
            max_ack_pending=10_000,
        ),
    )
    log.info("consumer_started", stream=stream, durable=durable)
    try:
        while not stop.is_set():
            try:
                messages = await subscription.fetch(batch, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                continue
            except Exception as exc:
                log.warning("consumer_fetch_failed", durable=durable, error=repr(exc))
                await asyncio.sleep(1.0)
                continue
            await _handle_batch(messages, handler, durable)
    finally:
        # A pending pull request would otherwise hold the connection's drain for 30 s.
        await subscription.unsubscribe()


async def _handle_batch(messages: list[Msg], handler: EnvelopeHandler, durable: str) -> None:
    """Events of one family in stream order; different families concurrently."""
    lanes: dict[str, list[Msg]] = defaultdict(list)
    for message in messages:
        lanes[_lane_key(message)].append(message)

    async def run_lane(lane: list[Msg]) -> None:
        for message in lane:
            await _handle(message, handler, durable)

    await asyncio.gather(*(run_lane(lane) for lane in lanes.values()))


def _lane_key(message: Msg) -> str:
    family = message.headers.get(FAMILY_HEADER) if message.headers else None
    return family or f"seq:{message.reply}"


async def _handle(message: Msg, handler: EnvelopeHandler, durable: str) -> None:
    try:
        envelope = Envelope.model_validate_json(message.data)
    except ValidationError as exc:
        log.error("event_malformed", durable=durable, subject=message.subject, error=str(exc))
        await message.term()
        return
    try:
        await handler(envelope)
    except DomainError as exc:
        log.error(
            "event_refused",
            durable=durable,
            subject=envelope.subject,
            event_id=str(envelope.event_id),
            code=exc.code,
            reason=exc.message,
        )
        await message.term()
        return
    except Exception as exc:
        log.warning(
            "event_retry",
            durable=durable,
            subject=envelope.subject,
            event_id=str(envelope.event_id),
            error=repr(exc),
        )
        await message.nak(delay=REDELIVERY_DELAY_SECONDS)
        return
    await message.ack()
