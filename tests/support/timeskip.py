"""The whole system on Temporal's time-skipping test server, in this process.

Services (real HTTP on free ports), their outbox relays, the bridge and a worker run as
asyncio tasks beside the test; PostgreSQL and NATS are the session's. The services' clock
(`ServiceRuntime.clock`, and supervision's) follows the test server's clock, so when the
test skips a month the services' "today" moves with the workflows' (see
workflows/README.md, "Time-skipped runs"). The `familias` CLI runs as a real subprocess
against these services.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from deploy.local.ports import free_ports
from shared.bus.client import Bus
from shared.bus.relay import OutboxRelay
from shared.runtime import ServiceRuntime
from shared.settings import SERVICES, Settings, child_environment
from tests.support.stack import time_skipping_environment
from workflows.bridge import run_bridge
from workflows.worker import WORKFLOWS, activities_for, workflow_runner

FAMILIAS = Path(sys.executable).parent / "familias"
SANTIAGO = ZoneInfo("America/Santiago")


class SkippedClock:
    """Real time plus however far the test server has been skipped ahead.

    While time skipping is locked the test server's clock runs at the real pace, so the
    offset measured after each skip holds until the next one.
    """

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def today(self) -> date:
        return self.now().astimezone(SANTIAGO).date()

    async def follow(self, env: WorkflowEnvironment) -> None:
        self.offset = await env.get_current_time() - datetime.now(UTC)

    async def skip(self, env: WorkflowEnvironment, duration: timedelta) -> None:
        """Skip the test server's clock by `duration` (timers fire on the way); follow it."""
        await env.sleep(duration)
        await self.follow(env)


@asynccontextmanager
async def services_following(
    env: WorkflowEnvironment, runtimes: Sequence[ServiceRuntime]
) -> AsyncIterator[SkippedClock]:
    """The services' clocks follow the test server's (re-measured with `follow`/`skip`)
    until the block ends; then each gets back the clock it had."""
    clock = SkippedClock()
    await clock.follow(env)
    before = [runtime.clock for runtime in runtimes]
    for runtime in runtimes:
        runtime.clock = clock.now
    try:
        yield clock
    finally:
        for runtime, previous in zip(runtimes, before, strict=True):
            runtime.clock = previous


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class TimeSkippedSystem:
    env: WorkflowEnvironment
    settings: Settings
    clock: SkippedClock

    async def familias(self, *args: str, user: str = "afi.camila") -> CliResult:
        """Run `familias …` as a user does; the event loop keeps serving meanwhile."""
        env = child_environment(self.settings, os.environ) | {
            "COLUMNS": "200",
            "FAMILIAS_USUARIO": user,
        }
        process = await asyncio.create_subprocess_exec(
            str(FAMILIAS),
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        return CliResult(process.returncode, out.decode(), err.decode())

    async def skip_to(self, moment: datetime) -> None:
        """Skip the test server's clock to `moment` (timers fire on the way); services follow."""
        ahead = moment - await self.env.get_current_time()
        if ahead > timedelta(0):
            await self.env.sleep(ahead)
        await self.clock.follow(self.env)


@asynccontextmanager
async def _serving(app: FastAPI, port: int) -> AsyncIterator[FastAPI]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name=f"uvicorn:{port}")
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why it could not start
                raise RuntimeError(f"the server on port {port} stopped while starting")
            await asyncio.sleep(0.05)
        yield app
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=10)


@asynccontextmanager
async def time_skipped_system(base: Settings, data_dir: Path) -> AsyncIterator[TimeSkippedSystem]:
    """Start everything; stop it all on exit (the test server last)."""
    from services.intake.main import create_app as intake_app
    from services.payments.main import create_app as payments_app
    from services.plans.main import create_app as plans_app
    from services.supervision.main import create_app as supervision_app

    env = await time_skipping_environment()
    ports = free_ports(5)
    settings = base.model_copy(
        update={
            "database_prefix": "ts_",
            "stream_prefix": "TS_",
            "temporal_address": env.client.service_client.config.target_host,
            "temporal_namespace": env.client.namespace,
            "temporal_task_queue": f"familias-ts-{uuid.uuid4().hex[:8]}",
            "intake_port": ports[0],
            "plans_port": ports[1],
            "payments_port": ports[2],
            "supervision_port": ports[3],
            "bank_port": ports[4],
            "data_dir": data_dir,
            "relay_poll_seconds": 0.2,
        }
    )
    stop = asyncio.Event()
    background: list[asyncio.Task[None]] = []
    try:
        async with AsyncExitStack() as stack:
            makers = {"intake": intake_app, "plans": plans_app, "payments": payments_app}
            # One after another: each migrates its database with Alembic, whose context is
            # global to the process (two at once in one process collide).
            apps = [
                await stack.enter_async_context(
                    _serving(make(settings), getattr(settings, f"{name}_port"))
                )
                for name, make in makers.items()
            ]
            clock = await stack.enter_async_context(
                services_following(env, [app.state.runtime for app in apps])
            )
            await stack.enter_async_context(
                _serving(supervision_app(settings, clock=clock.now), settings.supervision_port)
            )
            bus = await Bus.connect(settings, name="ts-worker")
            stack.push_async_callback(bus.close)
            for service in SERVICES:
                relay = OutboxRelay(
                    bus,
                    service,
                    settings.service_database_url(service),
                    batch_size=settings.relay_batch_size,
                    poll_seconds=settings.relay_poll_seconds,
                )
                background.append(asyncio.create_task(relay.run(stop), name=f"relay-{service}"))
            background.append(asyncio.create_task(run_bridge(settings, stop), name="bridge"))
            worker = Worker(
                env.client,
                task_queue=settings.temporal_task_queue,
                workflows=WORKFLOWS,
                activities=activities_for(bus),
                workflow_runner=workflow_runner(),
                graceful_shutdown_timeout=timedelta(seconds=2),
            )
            async with worker:
                try:
                    yield TimeSkippedSystem(env=env, settings=settings, clock=clock)
                finally:
                    stop.set()
                    await asyncio.wait(background, timeout=10)
                    for task in background:
                        task.cancel()
    finally:
        await env.shutdown()
