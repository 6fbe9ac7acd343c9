"""`/v1/statistics`: counts of intake's facts for reports. Only numbers, never a person."""

from __future__ import annotations

from fastapi import APIRouter

from services.intake.statistics import statistics_service
from shared.contracts.statistics import IntakeMonthStatistics, IntakeYearStatistics
from shared.http.deps import Runtime, Session
from shared.statistics import CONTACT_DEADLINE_DAYS, Comuna, DeadlineDays, Month, Year

router = APIRouter(prefix="/v1/statistics", tags=["estadísticas"])


@router.get("", summary="Etapas, cobertura, contactos y egresos de un año (solo conteos)")
async def yearly(db: Session, year: Year, comuna: Comuna = None) -> IntakeYearStatistics:
    return await statistics_service.year(db, year, comuna=comuna)


@router.get("/monthly", summary="Familias por fase al cierre del mes, ingresos y egresos")
async def monthly(
    db: Session,
    rt: Runtime,
    month: Month,
    comuna: Comuna = None,
    contact_deadline_days: DeadlineDays = CONTACT_DEADLINE_DAYS,
) -> IntakeMonthStatistics:
    return await statistics_service.month(
        db, month, comuna=comuna, contact_deadline_days=contact_deadline_days, today=rt.today()
    )
