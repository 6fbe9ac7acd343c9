"""`Bus.serve` answers a subject's requests concurrently, up to a bound per subscription.

nats-py runs a subscription's callback one message at a time; a handler that waits (on the
bank, on the database) would make every other request on the subject wait behind it.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

import pytest
from pydantic import BaseModel

from deploy.local.ports import free_port
from deploy.local.servers import venv_binary
from shared.bus.client import Bus
from shared.errors import DependencyUnavailable
from shared.settings import Settings


class Ping(BaseModel):
    n: int


class Pong(BaseModel):
    n: int
    inside: int


async def test_requests_on_one_subject_are_served_concurrently_up_to_the_bound(
    settings: Settings,
) -> None:
    bound = 4
    tag = uuid4().hex[:6].upper()
    served = settings.model_copy(
        update={"stream_prefix": f"S{tag}_", "bus_serve_concurrency": bound}
    )
    server = await Bus.connect(served, name=f"test-serve-{tag}")
    client = await Bus.connect(served, name=f"test-ask-{tag}")
    inside = 0
    most = 0
    all_in = asyncio.Event()
    try:

        async def slow(ping: Ping) -> Pong:
            # Each handler waits until `bound` of them are inside at once: served one at a
            # time, the first would wait forever and every request would time out.
            nonlocal inside, most
            inside += 1
            most = max(most, inside)
            if inside >= bound:
                all_in.set()
            await all_in.wait()
            await asyncio.sleep(0)
            inside -= 1
            return Pong(n=ping.n, inside=most)

        await server.serve("test.cmd.v1.slow.ping", Ping, slow, queue="test")
        answers = await asyncio.gather(
            *(
                client.request("test.cmd.v1.slow.ping", Ping(n=n), Pong, timeout=10)
                for n in range(2 * bound)
            )
        )
        assert sorted(a.n for a in answers) == list(range(2 * bound))
        # Never more than the bound inside at once: the rest wait their turn (back-pressure).
        assert most == bound
    finally:
        await client.close()
        await server.close()


@contextmanager
def own_nats(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A NATS server of this test's own, to stop and start again."""
    process = subprocess.Popen(
        [str(venv_binary("nats-server")), "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("nats-server no inició") from None
                time.sleep(0.05)
        yield process
    finally:
        process.kill()
        process.wait(10)


async def test_a_reply_lost_to_a_nats_restart_fails_the_request_at_once_not_at_its_timeout(
    settings: Settings,
) -> None:
    """NATS restarted while a request waits: its reply can never come. The request fails as
    soon as the connection drops (the activity retries in seconds), instead of sitting out
    its timeout — 2 minutes for the payment cycle's steps before issue 15."""
    port = free_port()
    own = settings.model_copy(update={"nats_url": f"nats://127.0.0.1:{port}", "stream_prefix": ""})
    with own_nats(port) as server_process:
        server = await Bus.connect(own, name="test-lost-serve")
        client = await Bus.connect(own, name="test-lost-ask")
        try:
            arrived = asyncio.Event()
            never = asyncio.Event()

            async def stuck(ping: Ping) -> Pong:
                arrived.set()
                await never.wait()
                return Pong(n=ping.n, inside=1)

            await server.serve("test.cmd.v1.lost.ping", Ping, stuck, queue="test")
            waiting = asyncio.create_task(
                client.request("test.cmd.v1.lost.ping", Ping(n=1), Pong, timeout=600)
            )
            await asyncio.wait_for(arrived.wait(), 10)
            server_process.kill()  # NATS goes away with the reply still owed
            with pytest.raises(DependencyUnavailable, match="conexión"):
                await asyncio.wait_for(waiting, 60)  # not the request's 600 s
        finally:
            never.set()
            await client.close()
            await server.close()
