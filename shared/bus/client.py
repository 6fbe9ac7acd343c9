"""Connecting to NATS, declaring streams, and request/reply with typed messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError
from pydantic import BaseModel, ValidationError

from shared.contracts.envelope import Reply
from shared.contracts.subjects import stream_subjects
from shared.errors import DependencyUnavailable, DomainError, ValidationFailed
from shared.observability import get_logger
from shared.settings import Settings

log = get_logger(__name__)

ReplyT = TypeVar("ReplyT", bound=BaseModel)
RequestT = TypeVar("RequestT", bound=BaseModel)


class Bus:
    """A NATS connection with the JetStream context and the helpers every process uses."""

    def __init__(self, connection: NatsClient, settings: Settings) -> None:
        self.nc = connection
        self.js: JetStreamContext = connection.jetstream()
        self.settings = settings
        self._subscriptions: list[Subscription] = []
        self._answering: set[asyncio.Task[None]] = set()  # requests being answered (`serve`)
        self.closing = False
        # Set when the connection drops: a request waiting then will never get its reply.
        self._connection_lost = asyncio.Event()

    def connection_lost(self) -> None:
        """The connection dropped: fail the requests waiting for a reply (it is lost)."""
        self._connection_lost.set()
        self._connection_lost = asyncio.Event()

    @classmethod
    async def connect(cls, settings: Settings, name: str, *, wait_seconds: float = 30.0) -> Bus:
        """Connect, retrying while the server comes up; afterwards reconnect forever."""
        deadline = asyncio.get_running_loop().time() + wait_seconds
        made: list[Bus] = []  # lets the disconnect callback tell a close from an outage
        while True:
            try:
                # With reconnects unbounded, nats-py retries a first connect forever too.
                connection = await asyncio.wait_for(
                    nats.connect(
                        settings.effective_nats_url,
                        name=name,
                        max_reconnect_attempts=-1,
                        reconnect_time_wait=0.5,
                        connect_timeout=2,
                        allow_reconnect=True,
                        error_cb=_log_nats_error,
                        disconnected_cb=_on_disconnect(name, made),
                        reconnected_cb=_log_reconnect(name),
                    ),
                    timeout=max(deadline - asyncio.get_running_loop().time(), 1.0),
                )
                made.append(cls(connection, settings))
                return made[0]
            except Exception as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise DependencyUnavailable(
                        f"No se pudo conectar a NATS en {settings.effective_nats_url}"
                    ) from exc
                await asyncio.sleep(0.5)

    async def close(self) -> None:
        self.closing = True
        for subscription in self._subscriptions:
            try:
                await subscription.unsubscribe()
            except Exception as exc:
                log.debug("unsubscribe_failed", error=str(exc))
        if self._answering:  # let the requests under way send their replies
            await asyncio.wait(set(self._answering), timeout=10)
        if not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception as exc:  # NATS away (reconnecting): nothing left to drain
                log.debug("drain_failed", error=str(exc))
                with contextlib.suppress(Exception):
                    await self.nc.close()

    async def ensure_stream(self, owner: str) -> str:
        """Declare (or update) the durable stream of one producer; idempotent."""
        config = StreamConfig(
            name=self.settings.stream_name(owner),
            subjects=[f"{self.settings.stream_prefix}{s}" for s in stream_subjects(owner)],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            duplicate_window=self.settings.nats_duplicate_window_seconds,
            max_age=400 * 24 * 3600,
        )
        try:
            await self.js.add_stream(config)
        except BadRequestError:
            await self.js.update_stream(config)
        return config.name or ""

    def subject(self, subject: str) -> str:
        """Subjects are prefixed in tests so parallel stacks never cross."""
        return f"{self.settings.stream_prefix}{subject}"

    async def request(
        self,
        subject: str,
        request: BaseModel,
        reply_model: type[ReplyT],
        *,
        timeout: float | None = None,
    ) -> ReplyT:
        """Send a command or query and return the typed answer; domain errors are re-raised.

        A reply is lost when NATS goes away while it is owed (core NATS keeps nothing): the
        request then fails as soon as the connection drops, not at the end of its timeout,
        and the caller (an activity, a consumer) retries in seconds. Commands carry their
        idempotency key, so the retry never acts twice.
        """
        lost = asyncio.ensure_future(self._connection_lost.wait())
        asking = asyncio.ensure_future(
            self.nc.request(
                self.subject(subject),
                request.model_dump_json().encode(),
                timeout=timeout or self.settings.request_timeout_seconds,
            )
        )
        try:
            await asyncio.wait({asking, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not asking.done():
                asking.cancel()
        if not asking.done() or asking.cancelled():
            raise DependencyUnavailable(
                f"Se perdió la conexión con NATS esperando la respuesta a {subject}"
            )
        try:
            message = asking.result()
        except NoRespondersError as exc:
            raise DependencyUnavailable(f"Nadie atiende {subject} en este momento") from exc
        except NatsTimeoutError as exc:
            raise DependencyUnavailable(f"Sin respuesta a {subject} a tiempo") from exc
        except NatsError as exc:  # reconnecting, closed: the request never went out
            raise DependencyUnavailable(f"Sin conexión con NATS para {subject}: {exc}") from exc
        return Reply.model_validate_json(message.data).unwrap(reply_model)

    async def serve(
        self,
        subject: str,
        request_model: type[RequestT],
        handler: Callable[[RequestT], Awaitable[BaseModel]],
        *,
        queue: str,
    ) -> None:
        """Answer requests on `subject` within a queue group, so replicas share the load.

        nats-py hands a subscription's messages to its callback one at a time, so the
        callback only takes a slot and starts the handler: up to `bus_serve_concurrency`
        requests of the subject are answered at once. When every slot is taken the callback
        waits, the next requests wait in the subscription's pending queue (back-pressure),
        and a requester whose timeout passes retries — maybe on another replica.
        """
        slots = asyncio.Semaphore(self.settings.bus_serve_concurrency)

        async def answer(message: Msg) -> None:
            try:
                reply = await _answer(subject, message.data, request_model, handler)
                if message.reply:
                    await message.respond(reply.model_dump_json().encode())
            except Exception as exc:  # the requester times out and asks again
                log.warning("reply_failed", subject=subject, error=str(exc))
            finally:
                slots.release()

        async def on_message(message: Msg) -> None:
            await slots.acquire()
            task = asyncio.create_task(answer(message), name=f"serve:{subject}")
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

        subscription = await self.nc.subscribe(self.subject(subject), queue=queue, cb=on_message)
        self._subscriptions.append(subscription)
        await self.nc.flush()  # the server knows the subscription when this returns


async def _answer(
    subject: str,
    data: bytes,
    request_model: type[RequestT],
    handler: Callable[[RequestT], Awaitable[BaseModel]],
) -> Reply:
    try:
        request = request_model.model_validate_json(data)
    except ValidationError as exc:
        return Reply.failure(ValidationFailed(f"Solicitud mal formada para {subject}: {exc}"))
    try:
        return Reply.success(await handler(request))
    except DomainError as exc:
        return Reply.failure(exc)
    except Exception as exc:
        log.exception("command_failed", subject=subject)
        return Reply.failure(DependencyUnavailable(f"Error interno al atender {subject}: {exc}"))


async def _log_nats_error(exc: Exception) -> None:
    log.warning("nats_error", error=str(exc))


def _on_disconnect(name: str, made: list[Bus]) -> Callable[[], Awaitable[None]]:
    """Log a disconnection (a close is no outage) and fail the requests waiting on it."""

    async def callback() -> None:
        bus = made[0] if made else None
        if bus is not None:
            bus.connection_lost()
        if bus is not None and bus.closing:
            log.debug("nats_closed", client=name)
        else:
            log.warning("nats_disconnected", client=name)

    return callback


def _log_reconnect(name: str) -> Callable[[], Awaitable[None]]:
    async def callback() -> None:
        log.info("nats_reconnected", client=name)

    return callback
