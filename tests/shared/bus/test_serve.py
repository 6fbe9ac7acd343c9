"""`Bus.serve` answers a subject's requests concurrently, up to a bound per subscription.

nats-py runs a subscription's callback one message at a time; a handler that waits (on the
bank, on the database) would make every other request on the subject wait behind it.
"""

from __future__ import annotations

import asyncio
from uuid import uuid4

from pydantic import BaseModel

from shared.bus.client import Bus
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
