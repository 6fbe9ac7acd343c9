"""The intake application: `create_app()` builds it, `python -m services.intake` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.intake.api import families, nominas, process, staff
from services.intake.api.statistics import router as statistics_router
from services.intake.handlers import register_handlers
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
        routers=[families.router, nominas.router, staff.router, process.router, statistics_router],
        register_handlers=register_handlers,
    )
