"""The intake application: `create_app()` builds it, `python -m services.intake` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.intake.api import router
from services.intake.handlers import register_handlers
from services.intake.nominas_api import router as nominas_router
from services.intake.process_api import router as process_router
from services.intake.staff_api import router as staff_router
from shared.runtime import data_service_app
from shared.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings) -> FastAPI:
    return data_service_app(
        "intake",
        settings,
        title="Familias — Ingreso",
        description="Nómina de derivación, familias, integrantes, representantes y asignación.",
        migrations_dir=MIGRATIONS,
        routers=[router, nominas_router, staff_router, process_router],
        register_handlers=register_handlers,
    )
