"""*Reliquidaciones*: the differences a tariff published late leaves, shown and paid."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.payments.reliquidation import reliquidation_service
from services.payments.schemas import GapOut, ReliquidationsApplied, ReliquidationsOut
from shared.http.deps import Actor, Runtime, Session

router = APIRouter(prefix="/v1/reliquidaciones", tags=["reliquidaciones"])


@router.get("", summary="Diferencias por tarifas publicadas tarde, para los meses ya registrados")
async def reliquidations(
    db: Session,
    runtime: Runtime,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> ReliquidationsOut:
    found = await reliquidation_service.gaps(db)
    return ReliquidationsOut(
        policy_pays=runtime.settings.payments_pay_reliquidation,
        months=len(found),
        families=len({g.family_id for g in found}),
        amount_owed=sum(g.gap for g in found if g.gap > 0),
        amount_overpaid=-sum(g.gap for g in found if g.gap < 0),
        gaps=[GapOut.model_validate(g) for g in found[:limit]],
    )


@router.post(
    "/apply",
    summary="Registrar las diferencias a favor para pagarlas en el próximo ciclo",
    responses={409: {"description": "La política vigente no paga reliquidaciones"}},
)
async def apply_reliquidations(
    db: Session, runtime: Runtime, actor: Actor = "sistema"
) -> ReliquidationsApplied:
    granted, review = await reliquidation_service.apply(
        db, pays=runtime.settings.payments_pay_reliquidation, actor=actor
    )
    return ReliquidationsApplied(granted=granted, for_review=review)
