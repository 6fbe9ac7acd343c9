"""What a family would receive: the 24 months of the Bono de Protección (and Base Familiar)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.payments.periods import parse_period
from services.payments.schemas import CalendarOut, MonthOut
from services.payments.tariff_store import tariff_service
from shared.contracts.payments import PERIOD_PATTERN
from shared.http.deps import Session

router = APIRouter(prefix="/v1/calendar", tags=["tarifas"])


@router.get(
    "",
    summary="Los 24 meses que recibiría una familia (Protección y, con su ingreso, Base Familiar)",
)
async def calendar(
    db: Session,
    start: Annotated[
        str, Query(pattern=PERIOD_PATTERN, description="Mes del primer pago, AAAA-MM")
    ],
    income_per_capita: Annotated[
        int | None,
        Query(
            ge=0,
            le=10_000_000,
            description="Ingreso per cápita mensual (CLP)",
        ),
    ] = None,
    member_count: Annotated[int, Query(ge=1, le=30, description="Integrantes de la familia")] = 1,
) -> CalendarOut:
    found = await tariff_service.calendar(
        db, parse_period(start), income_per_capita=income_per_capita, member_count=member_count
    )
    return CalendarOut(
        start=start,
        months=[MonthOut.model_validate(m) for m in found.months],
        total=found.total,
        notes=found.notes,
    )
