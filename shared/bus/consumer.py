"""Durable JetStream pull consumers: transient or final, dead letters, and per-family lanes.

What a handler's outcome does to its event (ARCHITECTURE.md, consistency rules 2 and 6;
`shared.bus.failures` classifies errors):

- returns → the event is acknowledged.
- a *transient* failure (a dependency down, a timeout, a lost connection, a database
  restarting) → the event comes again after base · 2^(attempt − 1) seconds, capped
  (settings `consumer_retry_*`). It goes to dead letters only when it has failed
  `consumer_max_deliveries` times *and* for `consumer_transient_patience_seconds`: an
  outage that ends heals by itself, a "transient" error that never ends becomes visible.
- a *final* refusal (a `DomainError` that is not transient, an envelope or payload that
  does not validate) → at once to the dead-letter stream (`shared.bus.deadletter`) with
  its error, then terminated.
- an *unexpected* error (a bug) → retried with the same backoff, and dead-lettered at its
  `consumer_max_deliveries`-th attempt. Attempts are counted by the consumer in the lane's
  record, not by JetStream's `max_deliver`: at that bound JetStream would just stop
  delivering the message (an advisory nobody reads), and held events (below) come back
  many times without ever failing.

Per-family order: a family's lane stops behind its failing event. The lane is recorded in
a key-value bucket (`shared.bus.lanes`) keyed by consumer and family, read at start, so it
holds across fetches and restarts: a later event of that family is not applied but *held*
(noted in the lane and nak'd with a delay) until the blocker is settled, then the held
events are applied one by one in stream order. Within a batch, each family's events run
in stream-sequence order and different families run concurrently; other families never
wait for a stopped lane.

**A dead-lettered event keeps its family's lane stopped until a person acts**
(`familias eventos reintentar|descartar`). Rule 6 says the lane stops behind a failing
message, and a dead letter is such a message not yet settled: applying the family's later
events past it would apply them out of order (a representative change before the
commitment it changes, an exit before the facts that preceded it) and the person who later
retries it would replay it after its successors. A person retrying applies it in its place;
discarding it says, audited, that the family goes on without it.

A decision on a dead letter (a record on `deadletter.<durable>.<owner>.settle`) is carried
out here, by the consumer that owns it, through a durable consumer of those records: a
retry runs the handler on the stored copy (once: handlers are idempotent and record what
they applied, rule 2), a discard advances the lane. Either way the outcome is recorded next
to the decision. A retry that fails again becomes a new dead letter (`retry_of`) and the
lane stays stopped.

Restarts: before applying a batch the consumer notes each family's first sequence in it
(`<owner>.<durable>.en-curso`), and clears the note once the batch's acks are on the wire.
A note found at start means the last process stopped mid-batch: an event it was applying
is redelivered only after the ack wait, while a later event of the same family may arrive
at once; so each such family's lane waits for that event (up to the ack wait, after which
JetStream would have redelivered it if it had not been acknowledged).

One process per durable: lanes are kept in that process (and persisted), so a second
replica of the same durable would not see them.

Handlers must be idempotent: after a NATS crash acks of the last second are lost and
those events come again (STACK.md).
"""

from __future__ import annotations

import asyncio
import base64
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from pydantic import ValidationError

from shared.bus import deadletter
from shared.bus.client import Bus
from shared.bus.failures import Failure, classify, describe
from shared.bus.lanes import Lane, LaneState, LaneStore, lane_key
from shared.contracts.envelope import Envelope
from shared.observability import get_logger

log = get_logger(__name__)

FAMILY_HEADER = "Familias-Family-Id"

EnvelopeHandler = Callable[[Envelope], Awaitable[None]]

# After a crash, a head that JetStream has not redelivered this long after the ack wait
# had been acknowledged.
RELEASE_MARGIN_SECONDS = 2.0


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
    """Run one durable consumer of `owner`'s events until `stop` is set."""
    consumer = EventConsumer(
        bus, owner=owner, durable=durable, handler=handler, filter_subject=filter_subject
    )
    await consumer.run(stop, batch=batch)


@dataclass
class Delivery:
    """One message as the consumer sees it: its place in the stream and its family's lane."""

    message: Msg
    sequence: int
    deliveries: int
    envelope: Envelope | None
    malformed: ValidationError | None
    family_id: str | None
    lane: str

    @classmethod
    def of(cls, message: Msg) -> Delivery:
        envelope: Envelope | None = None
        malformed: ValidationError | None = None
        try:
            envelope = Envelope.model_validate_json(message.data)
        except ValidationError as exc:
            malformed = exc
        family = message.headers.get(FAMILY_HEADER) if message.headers else None
        if not family and envelope is not None and envelope.family_id is not None:
            family = str(envelope.family_id)
        sequence = message.metadata.sequence.stream
        return cls(
            message=message,
            sequence=sequence,
            deliveries=message.metadata.num_delivered,
            envelope=envelope,
            malformed=malformed,
            family_id=family or None,
            lane=lane_key(family, sequence),
        )


class EventConsumer:
    def __init__(
        self,
        bus: Bus,
        *,
        owner: str,
        durable: str,
        handler: EnvelopeHandler,
        filter_subject: str | None = None,
    ) -> None:
        self.bus = bus
        self.settings = bus.settings
        self.owner = owner
        self.durable = durable
        self.handler = handler
        self.filter_subject = filter_subject or f"{owner}.evt.>"
        self.stream = ""
        self.lanes: LaneStore
        # Batches and decisions on dead letters change lanes one at a time.
        self.lock = asyncio.Lock()

    async def run(self, stop: asyncio.Event, *, batch: int = 100) -> None:
        self.stream = await self.bus.ensure_stream(self.owner)
        dead_letters = await deadletter.ensure_stream(self.bus)
        self.lanes = await LaneStore.open(self.bus, self.owner, self.durable)
        await self._recover_interrupted_batch()
        events = await self._durable(
            self.stream,
            self.durable,
            self.bus.subject(self.filter_subject),
            ack_wait=self.settings.consumer_ack_wait_seconds,
        )
        decisions = await self._durable(
            dead_letters,
            f"{self.durable}-{self.owner}",
            deadletter.settle_subject(self.bus, self.durable, self.owner),
            ack_wait=max(self.settings.request_timeout_seconds * 6, 30.0),
        )
        log.info(
            "consumer_started",
            stream=self.stream,
            durable=self.durable,
            stopped_lanes=len(self.lanes.all()),
        )
        try:
            await asyncio.gather(
                self._events_loop(events, stop, batch), self._decisions_loop(decisions, stop)
            )
        finally:
            # A pending pull request would otherwise hold the connection's drain for 30 s.
            for subscription in (events, decisions):
                await subscription.unsubscribe()

    async def _durable(
        self, stream: str, durable: str, subject: str, *, ack_wait: float
    ) -> JetStreamContext.PullSubscription:
        """Declare the durable (or update it: a changed ack wait applies to an existing one)
        and bind to it."""
        await self.bus.js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name=durable,
                filter_subject=subject,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=ack_wait,
                max_ack_pending=10_000,
            ),
        )
        return await self.bus.js.pull_subscribe_bind(durable=durable, stream=stream)

    # -- events -------------------------------------------------------------------------

    async def _events_loop(
        self, subscription: JetStreamContext.PullSubscription, stop: asyncio.Event, batch: int
    ) -> None:
        fetch = subscription.fetch
        while not stop.is_set():
            try:
                await self._release_overdue()
                messages = await fetch(batch, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                continue
            except Exception as exc:
                log.warning("consumer_fetch_failed", durable=self.durable, error=repr(exc))
                await asyncio.sleep(1.0)
                continue
            async with self.lock:
                await self._handle_batch(messages)

    async def _handle_batch(self, messages: list[Msg]) -> None:
        """Each family's events in stream order; different families concurrently."""
        lanes: dict[str, list[Delivery]] = defaultdict(list)
        for message in messages:
            delivery = Delivery.of(message)
            lanes[delivery.lane].append(delivery)
        for lane in lanes.values():
            lane.sort(key=lambda d: d.sequence)
        first = {k: (ds[0].sequence, ds[0].family_id) for k, ds in lanes.items() if ds[0].family_id}
        try:
            if first:
                await self.lanes.mark_in_flight(first)
        except Exception as exc:
            # Nothing applied: JetStream redelivers the batch after the ack wait.
            log.warning("consumer_batch_deferred", durable=self.durable, error=repr(exc))
            return

        async def run_lane(deliveries: list[Delivery]) -> None:
            for delivery in deliveries:
                try:
                    await self._handle(delivery)
                except Exception as exc:
                    # The lane could not be recorded (NATS going away): leave this event and
                    # the family's next ones unacknowledged; they come again in order.
                    log.warning(
                        "consumer_lane_deferred",
                        durable=self.durable,
                        sequence=delivery.sequence,
                        error=repr(exc),
                    )
                    return

        await asyncio.gather(*(run_lane(deliveries) for deliveries in lanes.values()))
        if not first:
            return
        try:
            await self.bus.nc.flush(timeout=5)
            await self.lanes.clear_in_flight()
        except Exception as exc:
            log.warning("consumer_in_flight_not_cleared", durable=self.durable, error=repr(exc))

    async def _handle(self, delivery: Delivery) -> None:
        lane = self.lanes.get(delivery.lane)
        if lane is not None and delivery.sequence < lane.head:
            # Earlier than the lane's head: applied before and come again (a lost ack). Should
            # it fail, it is a lane of its own: the family's lane keeps its head.
            delivery.lane = lane_key(None, delivery.sequence)
            lane = self.lanes.get(delivery.lane)
        if lane is not None and delivery.sequence > lane.head:
            await self._hold(lane, delivery)
            return
        if lane is not None and lane.state is LaneState.DEAD:
            # Its dead letter stands (the first termination was lost): nothing to apply.
            await delivery.message.term()
            return
        if delivery.envelope is None:
            assert delivery.malformed is not None
            await self._failed(lane, delivery, delivery.malformed)
            return
        try:
            await self.handler(delivery.envelope)
        except Exception as exc:
            await self._failed(lane, delivery, exc)
            return
        if lane is not None:
            await self.lanes.replace(lane, lane.advanced())
        await delivery.message.ack()

    async def _hold(self, lane: Lane, delivery: Delivery) -> None:
        if delivery.sequence not in lane.held:
            lane = lane.holding(delivery.sequence)
            await self.lanes.put(lane)
            log.info(
                "event_held",
                durable=self.durable,
                stream=self.stream,
                family_id=lane.family_id,
                sequence=delivery.sequence,
                behind=lane.head,
            )
        await delivery.message.nak(delay=self._hold_delay(lane))

    async def _failed(self, lane: Lane | None, delivery: Delivery, error: BaseException) -> None:
        failure = classify(error)
        now = datetime.now(UTC)
        if lane is None or lane.state is not LaneState.RETRYING:
            lane = Lane(
                key=delivery.lane,
                family_id=delivery.family_id,
                head=delivery.sequence,
                held=lane.held if lane is not None else (),
                state=LaneState.RETRYING,
                since=now,
                dead_letters=lane.dead_letters if lane is not None else 0,
            )
        lane = lane.model_copy(
            update={"attempts": lane.attempts + 1, "error": describe(error), "release_at": None}
        )
        if self._gives_up(lane, failure, now):
            await self._dead_letter(lane, delivery, failure)
            return
        await self.lanes.put(lane)
        log.warning(
            "event_retry",
            durable=self.durable,
            stream=self.stream,
            subject=delivery.message.subject,
            sequence=delivery.sequence,
            family_id=lane.family_id,
            failure=failure.value,
            attempt=lane.attempts,
            error=lane.error,
        )
        await delivery.message.nak(delay=self._backoff(lane.attempts))

    def _gives_up(self, lane: Lane, failure: Failure, now: datetime) -> bool:
        if failure is Failure.FINAL:
            return True
        if lane.attempts < self.settings.consumer_max_deliveries:
            return False
        if failure is Failure.UNEXPECTED:
            return True
        patience = timedelta(seconds=self.settings.consumer_transient_patience_seconds)
        return now - lane.since >= patience

    async def _dead_letter(self, lane: Lane, delivery: Delivery, failure: Failure) -> None:
        envelope = delivery.envelope
        letter = deadletter.DeadLetter(
            consumer=self.durable,
            owner=self.owner,
            stream=self.stream,
            subject=delivery.message.subject,
            stream_sequence=delivery.sequence,
            lane=lane.key,
            family_id=lane.family_id,
            event_id=str(envelope.event_id) if envelope is not None else None,
            attempts=lane.attempts,
            deliveries=delivery.deliveries,
            failure=failure,
            error=lane.error,
            dead_at=datetime.now(UTC),
            headers=dict(delivery.message.headers or {}),
            data=_base64(delivery.message.data),
        )
        letter_id = await deadletter.publish_dead_letter(
            self.bus, letter, generation=lane.dead_letters
        )
        lane = lane.model_copy(
            update={
                "state": LaneState.DEAD,
                "dead_letter": letter_id,
                "dead_letters": lane.dead_letters + 1,
            }
        )
        await self.lanes.put(lane)
        log.error(
            "event_dead_lettered",
            durable=self.durable,
            stream=self.stream,
            subject=delivery.message.subject,
            sequence=delivery.sequence,
            family_id=lane.family_id,
            failure=failure.value,
            attempts=lane.attempts,
            dead_letter=letter_id,
            error=lane.error,
        )
        await delivery.message.term()

    def _backoff(self, attempt: int) -> float:
        base = self.settings.consumer_retry_base_seconds
        return float(min(base * 2 ** max(attempt - 1, 0), self.settings.consumer_retry_max_seconds))

    def _hold_delay(self, lane: Lane) -> float:
        """Bring a held event back about when its lane may move again."""
        if lane.state is LaneState.RETRYING:
            return self._backoff(lane.attempts)
        if lane.state is LaneState.DEAD:
            return self.settings.consumer_retry_max_seconds
        return self.settings.consumer_retry_base_seconds

    # -- restarts -----------------------------------------------------------------------

    async def _recover_interrupted_batch(self) -> None:
        """The last process stopped mid-batch: its families wait for their first event."""
        release_at = datetime.now(UTC) + timedelta(
            seconds=self.settings.consumer_ack_wait_seconds + RELEASE_MARGIN_SECONDS
        )
        for lane in self.lanes.all():
            if lane.release_at is not None:  # still waiting from an earlier interruption
                await self.lanes.put(lane.model_copy(update={"release_at": release_at}))
        interrupted = await self.lanes.in_flight()
        if interrupted is None:
            return
        for key, head in interrupted.heads.items():
            if self.lanes.get(key) is None:
                await self.lanes.put(
                    Lane(
                        key=key,
                        family_id=head.family_id,
                        head=head.head,
                        state=LaneState.WAITING,
                        error="en curso cuando el consumidor se detuvo",
                        since=datetime.now(UTC),
                        release_at=release_at,
                    )
                )
        log.info(
            "consumer_interrupted_batch", durable=self.durable, families=len(interrupted.heads)
        )
        await self.lanes.clear_in_flight()

    async def _release_overdue(self) -> None:
        now = datetime.now(UTC)
        overdue = [
            lane
            for lane in self.lanes.all()
            if lane.state is LaneState.WAITING and lane.release_at and lane.release_at <= now
        ]
        if not overdue:
            return
        async with self.lock:
            for lane in overdue:
                if self.lanes.get(lane.key) == lane:
                    await self.lanes.replace(lane, lane.advanced())

    # -- decisions on dead letters -----------------------------------------------------

    async def _decisions_loop(
        self, subscription: JetStreamContext.PullSubscription, stop: asyncio.Event
    ) -> None:
        fetch = subscription.fetch
        while not stop.is_set():
            try:
                messages = await fetch(10, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                continue
            except Exception as exc:
                log.warning("decisions_fetch_failed", durable=self.durable, error=repr(exc))
                await asyncio.sleep(1.0)
                continue
            for message in messages:
                try:
                    async with self.lock:
                        await self._carry_out(message)
                except Exception as exc:
                    # Not acknowledged: the decision comes again after the ack wait.
                    log.warning("decision_deferred", durable=self.durable, error=repr(exc))

    async def _carry_out(self, message: Msg) -> None:
        try:
            decision = deadletter.Settlement.model_validate_json(message.data)
        except ValidationError as exc:
            log.error("decision_malformed", durable=self.durable, error=str(exc))
            await message.term()
            return
        letter = await deadletter.load_dead_letter(self.bus, decision.dead_letter)
        lane = self.lanes.get(letter.lane) if letter is not None else None
        if letter is None or lane is None or lane.dead_letter != decision.dead_letter:
            await self._record_outcome(
                decision,
                deadletter.Result.NO_EFFECT,
                "La carta ya no detiene eventos de este consumidor (ya resuelta o aplicada)",
            )
            await message.ack()
            return
        if decision.action is deadletter.Action.DISCARD:
            await self._record_outcome(decision, deadletter.Result.DISCARDED, "")
            await self.lanes.replace(lane, lane.advanced())
        else:
            await self._retry(decision, letter, lane)
        log.info(
            "dead_letter_settled",
            durable=self.durable,
            dead_letter=decision.dead_letter,
            action=decision.action.value,
            actor=decision.actor,
        )
        await message.ack()

    async def _retry(
        self, decision: deadletter.Settlement, letter: deadletter.DeadLetter, lane: Lane
    ) -> None:
        try:
            await self.handler(letter.envelope())
        except Exception as exc:
            failure = classify(exc)
            again = letter.model_copy(
                update={
                    "attempts": 1,
                    "failure": failure,
                    "error": describe(exc),
                    "dead_at": datetime.now(UTC),
                    "retry_of": decision.dead_letter,
                }
            )
            again_id = await deadletter.publish_dead_letter(
                self.bus, again, generation=lane.dead_letters
            )
            await self._record_outcome(
                decision, deadletter.Result.FAILED, again.error, new_dead_letter=again_id
            )
            await self.lanes.put(
                lane.model_copy(
                    update={
                        "dead_letter": again_id,
                        "dead_letters": lane.dead_letters + 1,
                        "error": again.error,
                    }
                )
            )
            return
        await self._record_outcome(decision, deadletter.Result.APPLIED, "")
        await self.lanes.replace(lane, lane.advanced())

    async def _record_outcome(
        self,
        decision: deadletter.Settlement,
        result: deadletter.Result,
        detail: str,
        *,
        new_dead_letter: int | None = None,
    ) -> None:
        await deadletter.publish_outcome(
            self.bus,
            self.durable,
            self.owner,
            deadletter.Outcome(
                dead_letter=decision.dead_letter,
                action=decision.action,
                result=result,
                detail=detail,
                new_dead_letter=new_dead_letter,
                at=datetime.now(UTC),
            ),
        )


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode()
