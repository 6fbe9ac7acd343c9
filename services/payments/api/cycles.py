"""The month's payment cycle: its progress, its transfers and its books (cuadratura)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.payments.cycle import AlertBounds, cycle_service
from services.payments.labels import ORDER_STATES
from services.payments.ledger import ACCOUNT_NAMES, EXPENSE
from services.payments.periods import parse_period
from services.payments.schemas import (
    AccountBalanceOut,
    CuadraturaOut,
    LineStatus,
    StatusCountOut,
    TransferOut,
)
from shared.contracts.payments import PERIOD_PATTERN, CycleProgress
from shared.http.deps import Runtime, Session

router = APIRouter(prefix="/v1/cycles/{period}", tags=["ciclo de pagos"])

PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="Mes, AAAA-MM")]


@router.get(
    "",
    summary="Avance del ciclo de pagos del mes",
    responses={404: {"description": "No hay ciclo de pagos para ese mes"}},
)
async def cycle_progress(period: PeriodPath, db: Session, runtime: Runtime) -> CycleProgress:
    return await cycle_service.progress(
        db, parse_period(period), alerts=AlertBounds.of(runtime.settings)
    )


@router.get(
    "/transfers",
    summary="Transferencias del ciclo en un estado (p. ej. rechazadas), para revisar por familia",
)
async def cycle_transfers(
    period: PeriodPath,
    db: Session,
    status: Annotated[LineStatus, Query(description="Estado de la transferencia")] = "rejected",
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[TransferOut]:
    return [
        TransferOut(
            family_id=r.family_id,
            period=r.period,
            concept=r.concept,
            amount=int(r.amount),
            reason=r.reason_text,
            reference=r.end_to_end_id,
            channel=r.channel,
        )
        for r in await cycle_service.transfers(db, parse_period(period), status, limit)
    ]


@router.get(
    "/cuadratura",
    summary="Cuadratura del mes: devengado, pagado, pendiente y caducado, con sus controles",
)
async def cuadratura(period: PeriodPath, db: Session, runtime: Runtime) -> CuadraturaOut:
    report = await cycle_service.books(
        db, parse_period(period), alerts=AlertBounds.of(runtime.settings)
    )
    return CuadraturaOut(
        period=period,
        balanced=report.balanced,
        owed=report.owed,
        paid=report.paid,
        pending=report.pending,
        expired=report.expired,
        orders=[
            StatusCountOut(status=k, status_label=ORDER_STATES.get(k, k), count=v)
            for k, v in report.orders.items()
        ],
        accounts=[
            AccountBalanceOut(
                account=account,
                name=name,
                # Natural balance: debit for the expense, credit for the others.
                balance=report.accounts.get(account, 0) * (1 if account == EXPENSE else -1),
            )
            for account, name in ACCOUNT_NAMES.items()
        ],
        problems=report.problems,
    )
