"""The payments application: `create_app()` builds it, `python -m services.payments` serves it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from shared.http.app import service_app
from shared.runtime import ServiceRuntime, service_runtime
from shared.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


async def register_handlers(_runtime: ServiceRuntime) -> None:
    """Payments answers no bus commands yet."""


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime("payments", settings, MIGRATIONS, register_handlers) as rt:
            app.state.runtime = rt
            yield

    return service_app(
        service="payments",
        title="Familias — Pagos",
        description="Tarifas, derechos, órdenes de pago, nóminas bancarias y conciliación.",
        lifespan=lifespan,
        routers=[],
        readiness=lambda app: app.state.runtime.readiness_checks(),
    )
