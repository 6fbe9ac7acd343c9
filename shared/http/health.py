"""`GET /healthz` (the process is alive) and `GET /readyz` (its dependencies answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

ReadinessCheck = Callable[[], Awaitable[None]]

CHECK_TIMEOUT_SECONDS = 2.0


async def _run_check(check: ReadinessCheck) -> str | None:
    try:
        await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return "sin respuesta a tiempo"
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return None


class Liveness(BaseModel):
    service: str
    status: Literal["vivo"]


class Readiness(BaseModel):
    service: str
    status: Literal["listo", "no_listo"]
    dependencies: dict[str, str]  # "ok" or why it does not answer, in Spanish


def health_router(service: str, checks: Callable[[], Mapping[str, ReadinessCheck]]) -> APIRouter:
    router = APIRouter(tags=["salud"])

    @router.get("/healthz", summary="El proceso está vivo")
    async def healthz() -> Liveness:
        return Liveness(service=service, status="vivo")

    @router.get(
        "/readyz",
        summary="Las dependencias responden",
        responses={503: {"description": "Alguna dependencia no responde", "model": Readiness}},
    )
    async def readyz(response: Response) -> Readiness:
        named = dict(checks())
        results = await asyncio.gather(*(_run_check(c) for c in named.values()))
        failures = {name: reason for name, reason in zip(named, results, strict=True) if reason}
        if failures:
            response.status_code = 503
        return Readiness(
            service=service,
            status="no_listo" if failures else "listo",
            dependencies={name: failures.get(name, "ok") for name in named},
        )

    return router
