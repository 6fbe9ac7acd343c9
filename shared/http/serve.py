"""Run one FastAPI service under uvicorn with the stack's settings and logging."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from shared.observability import configure_logging
from shared.settings import Settings, load_settings


def serve_service(name: str, create_app: Callable[[Settings], FastAPI]) -> None:
    settings = load_settings()
    configure_logging(settings, name)
    port: int = getattr(settings, f"{name}_port")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
