"""Payments' HTTP endpoints."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import select

from services.payments.models import Entitlement
from services.payments.tariffs import load_tariffs, schedule
from shared.dates import parse_date
from shared.errors import ValidationFailed
from shared.http.deps import Session

router = APIRouter(prefix="/v1", tags=["pagos"])


@router.get("/calendar", summary="Los 24 meses que recibiría una familia (Bono de Protección)")
async def calendar(
    inicio: Annotated[
        str, Query(pattern=r"^\d{4}-\d{2}$", description="Mes del primer pago, AAAA-MM")
    ],
) -> dict[str, Any]:
    try:
        first = parse_date(f"{inicio}-01")
    except ValueError as exc:
        raise ValidationFailed("Mes no válido: use AAAA-MM") from exc
    months = schedule(load_tariffs(), first)
    return {
        "inicio": inicio,
        "meses": [
            {
                "mes": f"{m.paid_month:%Y-%m}",
                "mes_plan": m.plan_month,
                "tramo": m.tranche,
                "concepto": m.concept,
                "monto": m.amount,
                "fuente": m.row.source,
            }
            for m in months
        ],
        "total": sum(m.amount for m in months),
    }


@router.get("/families/{family_id}/entitlements", summary="Derechos registrados de una familia")
async def entitlements(family_id: UUID, db: Session) -> list[dict[str, Any]]:
    rows = await db.scalars(
        select(Entitlement).where(Entitlement.family_id == family_id).order_by(Entitlement.period)
    )
    return [
        {
            "mes": f"{e.period:%Y-%m}",
            "mes_plan": e.plan_month,
            "concepto": e.concept,
            "monto": e.amount,
            "fuente": e.tariff_source,
        }
        for e in rows
    ]
