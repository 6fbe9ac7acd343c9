"""What a data-owning service holds while it runs: its database, its bus, its settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.bus.client import Bus
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
            runtime = ServiceRuntime(name, settings, engine, create_session_factory(engine), bus)
            await register_handlers(runtime)
            yield runtime
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
