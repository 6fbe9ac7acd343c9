"""The plans application: `create_app()` builds it, `python -m services.plans` serves it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.plans.api import router
from services.plans.handlers import register_handlers
from shared.http.app import service_app
from shared.runtime import service_runtime
from shared.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime("plans", settings, MIGRATIONS, register_handlers) as rt:
            app.state.runtime = rt
            yield

    return service_app(
        service="plans",
        title="Familias — Planes",
        description="Diagnóstico Eje, plan de intervención, sesiones, evaluación y abandono.",
        lifespan=lifespan,
        routers=[router],
        readiness=lambda app: app.state.runtime.readiness_checks(),
    )
