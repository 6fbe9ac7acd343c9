"""`GET /healthz` (the process is alive) and `GET /readyz` (its dependencies answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse

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


def health_router(service: str, checks: Callable[[], Mapping[str, ReadinessCheck]]) -> APIRouter:
    router = APIRouter(tags=["salud"])

    @router.get("/healthz", summary="El proceso está vivo")
    async def healthz() -> dict[str, str]:
        return {"servicio": service, "estado": "vivo"}

    @router.get(
        "/readyz",
        summary="Las dependencias responden",
        responses={503: {"description": "Alguna dependencia no responde"}},
    )
    async def readyz() -> JSONResponse:
        named = dict(checks())
        results = await asyncio.gather(*(_run_check(c) for c in named.values()))
        failures = {name: reason for name, reason in zip(named, results, strict=True) if reason}
        body = {
            "servicio": service,
            "estado": "listo" if not failures else "no_listo",
            "dependencias": {name: failures.get(name, "ok") for name in named},
        }
        return JSONResponse(body, status_code=503 if failures else 200)

    return router
