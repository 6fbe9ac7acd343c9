"""`/v1/tasks`: what an Apoyo Familiar has pending or overdue."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from services.plans.schemas import TaskOut
from services.plans.tasks import tasks_service
from shared.http.deps import Runtime
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/tasks", tags=["tareas"])


@router.get("", summary="Lo pendiente y vencido de un Apoyo Familiar, lo vencido primero")
async def tasks(
    db: Db, rt: Runtime, professional: Annotated[UUID, Query(description="Id del Apoyo Familiar")]
) -> list[TaskOut]:
    return await tasks_service.due(
        db,
        professional,
        today=rt.today(),
        diagnosis_deadline_days=rt.settings.diagnosis_deadline_days,
    )
