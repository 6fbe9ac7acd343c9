"""The payments application: `create_app()` builds it, `python -m services.payments` serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.payments.api import (
    bonuses,
    calendar,
    cycles,
    entitlements,
    holds,
    in_person,
    income,
    issues,
    orders,
    payees,
    reliquidations,
    tariffs,
)
from services.payments.handlers import register_handlers
from shared.runtime import data_service_app
from shared.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings) -> FastAPI:
    return data_service_app(
        "payments",
        settings,
        title="Familias — Pagos",
        description="Tarifas, derechos, órdenes de pago, nóminas bancarias y conciliación.",
        migrations_dir=MIGRATIONS,
        routers=[
            calendar.router,
            tariffs.router,
            income.router,
            entitlements.router,
            orders.router,
            payees.router,
            holds.router,
            cycles.router,
            in_person.router,
            issues.router,
            reliquidations.router,
            bonuses.router,
        ],
        register_handlers=register_handlers,
    )
