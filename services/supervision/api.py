"""Supervision's JSON API (the console and the CLI read through it)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel

from services.supervision.clients import Lifecycles
from shared.contracts.lifecycle import LifecycleView, TimelineEntry

router = APIRouter(prefix="/v1", tags=["supervisión"])


class FamilyLifecycleOut(BaseModel):
    estado: LifecycleView
    linea_de_tiempo: list[TimelineEntry]


@router.get("/families/{family_id}/lifecycle", summary="Estado y línea de tiempo de una familia")
async def family_lifecycle(family_id: UUID, request: Request) -> FamilyLifecycleOut:
    lifecycles: Lifecycles = request.app.state.lifecycles
    report = await lifecycles.report(family_id)
    timeline = sorted(report.timeline, key=lambda entry: entry.at, reverse=True)
    return FamilyLifecycleOut(estado=report.state, linea_de_tiempo=timeline)
