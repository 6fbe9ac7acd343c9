"""`/v1/statistics`: counts of plans' facts for reports. Only numbers, never a person."""

from __future__ import annotations

from fastapi import APIRouter

from services.plans.statistics import statistics_service
from shared.contracts.statistics import PlansMonthStatistics, PlansYearStatistics
from shared.http.deps import Runtime, Session
from shared.statistics import PLAN_DEADLINE_DAYS, Comuna, DeadlineDays, Month, Year

router = APIRouter(prefix="/v1/statistics", tags=["estadísticas"])


@router.get("", summary="Diagnósticos, planes, sesiones por tipo y abandono de un año")
async def yearly(db: Session, year: Year, comuna: Comuna = None) -> PlansYearStatistics:
    return await statistics_service.year(db, year, comuna=comuna)


@router.get("/monthly", summary="Familias por fase al cierre del mes, sesiones y vencimientos")
async def monthly(
    db: Session,
    rt: Runtime,
    month: Month,
    comuna: Comuna = None,
    plan_deadline_days: DeadlineDays = PLAN_DEADLINE_DAYS,
) -> PlansMonthStatistics:
    return await statistics_service.month(
        db,
        month,
        comuna=comuna,
        diagnosis_deadline_days=rt.settings.diagnosis_deadline_days,
        plan_deadline_days=plan_deadline_days,
        today=rt.today(),
    )
