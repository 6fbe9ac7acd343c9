"""The plans application: `create_app()` builds it, `python -m services.plans` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.plans.api import (
    abandonment,
    cases,
    catalog,
    diagnosis,
    evaluation,
    plans,
    sessions,
    tasks,
)
from services.plans.api.statistics import router as statistics_router
from services.plans.handlers import register_handlers
from shared.runtime import data_service_app
from shared.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings) -> FastAPI:
    return data_service_app(
        "plans",
        settings,
        title="Familias — Planes",
        description="Diagnóstico Eje, plan de intervención, sesiones, evaluación y abandono.",
        migrations_dir=MIGRATIONS,
        routers=[
            catalog.router,
            cases.router,
            diagnosis.router,
            plans.router,
            sessions.router,
            evaluation.router,
            abandonment.router,
            tasks.router,
            statistics_router,
        ],
        register_handlers=register_handlers,
    )
