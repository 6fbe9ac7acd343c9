"""The intake application: `create_app()` builds it, `python -m services.intake` serves it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.intake.api import router
from shared.http.app import service_app
from shared.runtime import ServiceRuntime, service_runtime
from shared.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


async def register_handlers(_runtime: ServiceRuntime) -> None:
    """Intake answers no bus commands yet."""


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime("intake", settings, MIGRATIONS, register_handlers) as rt:
            app.state.runtime = rt
            yield

    return service_app(
        service="intake",
        title="Familias — Ingreso",
        description="Nómina de derivación, familias, integrantes, representantes y asignación.",
        lifespan=lifespan,
        routers=[router],
        readiness=lambda app: app.state.runtime.readiness_checks(),
    )
