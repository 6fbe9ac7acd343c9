"""The FastAPI application shape every service shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI

from shared.http.health import ReadinessCheck, health_router
from shared.http.problems import install_problem_handlers


def service_app(
    *,
    service: str,
    title: str,
    description: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    routers: Sequence[APIRouter],
    readiness: Callable[[FastAPI], Mapping[str, ReadinessCheck]],
) -> FastAPI:
    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    install_problem_handlers(app)
    app.include_router(health_router(service, lambda: readiness(app)))
    for router in routers:
        app.include_router(router)
    return app
