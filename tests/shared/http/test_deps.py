"""A request's transaction commits before its answer leaves the service: a client that got
201 may count on the write (it survives a crash right after) and sees it in its next
request. Served over real HTTP: an in-process transport waits for the whole app anyway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import httpx
import uvicorn
from fastapi import FastAPI

from deploy.local.ports import free_port
from shared.http.deps import Session


class SlowCommitSession:
    """Stands in for an AsyncSession whose commit takes a moment."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[None]:
        yield
        await asyncio.sleep(0.3)
        self.log.append("committed")

    async def __aenter__(self) -> SlowCommitSession:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None


async def test_the_answer_leaves_after_the_commit() -> None:
    log: list[str] = []
    app = FastAPI()
    app.state.runtime = SimpleNamespace(sessions=lambda: SlowCommitSession(log))

    @app.post("/v1/things", status_code=201)
    async def create(db: Session) -> dict[str, bool]:
        del db
        return {"created": True}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_config=None, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()  # raises why it could not start
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient() as client:
            response = await client.post(f"http://127.0.0.1:{port}/v1/things")
            answered = list(log)
        assert response.status_code == 201
        assert answered == ["committed"]
    finally:
        server.should_exit = True
        await serving
