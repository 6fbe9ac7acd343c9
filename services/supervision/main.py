"""The supervision console: `python -m services.supervision`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.supervision.api import families, payment_cycles, reports
from services.supervision.clients import Lifecycles, service_clients
from services.supervision.web.console import router as console_router
from shared.clock import Clock, configured_clock
from shared.http.app import service_app
from shared.http.health import ReadinessCheck
from shared.settings import Settings
from shared.temporal import connect_temporal


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    """The console; `clock` says what "now" is for what is overdue and this month's figures
    (by default the real one, or the one `settings.clock_offset_file` configures)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = await connect_temporal(settings)
        async with httpx.AsyncClient(timeout=settings.request_timeout_seconds) as http:
            app.state.settings = settings
            app.state.temporal = client
            app.state.lifecycles = Lifecycles(client)
            app.state.services = service_clients(settings, http)
            yield

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        async def temporal() -> None:
            await app.state.temporal.service_client.check_health()

        checks: dict[str, ReadinessCheck] = {"temporal": temporal}
        for name, service in app.state.services.items():

            async def ping(service: object = service) -> None:
                await service.get("/healthz")  # type: ignore[attr-defined]

            checks[name] = ping
        return checks

    app = service_app(
        service="supervision",
        title="Familias — Supervisión",
        description="Consola de supervisión: líneas de tiempo, tableros e informes.",
        lifespan=lifespan,
        routers=[families.router, payment_cycles.router, reports.router, console_router],
        readiness=readiness,
    )
    app.state.clock = clock or configured_clock(settings.clock_offset_file)
    return app
