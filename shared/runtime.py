"""What a data-owning service holds while it runs: its database, its bus, its settings."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.bus.client import Bus
from shared.clock import Clock, configured_clock, local_day, real_clock
from shared.db.engine import create_engine, create_session_factory, ensure_database
from shared.db.migrate import upgrade_to_head
from shared.errors import DependencyUnavailable
from shared.http.app import service_app
from shared.http.health import ReadinessCheck
from shared.observability import get_logger
from shared.settings import ServiceName, Settings

log = get_logger(__name__)


@dataclass
class ServiceRuntime:
    name: ServiceName
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: Bus
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    background: list[asyncio.Task[None]] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Where the service's "today" comes from (no future dates, ages, referral dates): the
    # real clock. Tests fix it (tests/support/clock.py); a time-skipped test points it at
    # Temporal's test server clock, so the services and the workflows live in the same
    # month (workflows/README.md); in separate processes through `clock_offset_file`.
    clock: Clock = field(default=real_clock)

    def today(self) -> date:
        """The service's current day in the programme's time zone."""
        return local_day(self.clock(), self.settings.timezone)

    def on_stop(self, close: Callable[[], Awaitable[None]]) -> None:
        """Release something the handlers hold (an HTTP client) when the service stops."""
        self.closers.append(close)

    def run_in_background(
        self, name: str, work: Callable[[asyncio.Event], Coroutine[Any, Any, None]]
    ) -> None:
        """Run `work(stop)` for the service's lifetime (event consumers); stopped on exit."""
        self.background.append(asyncio.create_task(work(self.stop), name=f"{self.name}:{name}"))

    async def stop_background(self) -> None:
        self.stop.set()
        if self.background:
            done, pending = await asyncio.wait(self.background, timeout=10)
            for task in pending:
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error(
                        "background_task_failed", task=task.get_name(), error=repr(task.exception())
                    )
        for close in reversed(self.closers):
            await close()

    def readiness_checks(self) -> Mapping[str, ReadinessCheck]:
        return {"postgresql": self._check_database, "nats": self._check_nats}

    async def _check_database(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _check_nats(self) -> None:
        if not self.bus.nc.is_connected:
            raise DependencyUnavailable("sin conexión a NATS")
        await self.bus.nc.flush(timeout=1)


@asynccontextmanager
async def service_runtime(
    name: ServiceName,
    settings: Settings,
    migrations_dir: Path,
    register_handlers: Callable[[ServiceRuntime], Awaitable[None]],
) -> AsyncIterator[ServiceRuntime]:
    """Create the database if needed, migrate it, connect the bus, register bus handlers."""
    created = await ensure_database(
        settings.server_database_url, settings.service_database_name(name)
    )
    if created:
        log.info("database_created", database=settings.service_database_name(name))
    engine = create_engine(settings.service_database_url(name))
    try:
        await upgrade_to_head(engine, migrations_dir)
        bus = await Bus.connect(settings, name=name)
        try:
            await bus.ensure_stream(name)
            runtime = ServiceRuntime(
                name,
                settings,
                engine,
                create_session_factory(engine),
                bus,
                clock=configured_clock(settings.clock_offset_file),
            )
            await register_handlers(runtime)
            # What start-up loaded (migrations, imports, caches) lives as long as the
            # process: keep it out of the cyclic collector's full passes, whose pauses
            # otherwise show up as request latency spikes (bench/RESULTS.md, sessions).
            gc.collect()
            gc.freeze()
            try:
                yield runtime
            finally:
                await runtime.stop_background()
        finally:
            await bus.close()
    finally:
        await engine.dispose()


async def no_handlers(_runtime: ServiceRuntime) -> None:
    """For a service that answers no bus command."""


def data_service_app(
    name: ServiceName,
    settings: Settings,
    *,
    title: str,
    description: str,
    migrations_dir: Path,
    routers: Sequence[APIRouter] = (),
    register_handlers: Callable[[ServiceRuntime], Awaitable[None]] = no_handlers,
) -> FastAPI:
    """The FastAPI app of a data-owning service, its runtime held for the app's lifetime."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(name, settings, migrations_dir, register_handlers) as runtime:
            app.state.runtime = runtime
            yield

    return service_app(
        service=name,
        title=title,
        description=description,
        lifespan=lifespan,
        routers=routers,
        readiness=lambda app: app.state.runtime.readiness_checks(),
    )
