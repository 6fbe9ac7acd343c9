"""Payment issues: what the bank contradicted, listed and resolved by the payments officer."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from services.payments.issues import issue_service
from services.payments.labels import ISSUE_KINDS
from services.payments.models import PaymentIssue
from services.payments.periods import parse_period
from services.payments.schemas import IssueResolutionIn, PaymentIssueOut
from shared.contracts.payments import PERIOD_PATTERN
from shared.http.deps import Actor, Session

router = APIRouter(prefix="/v1/payment-issues", tags=["problemas de pago"])

WHO = (
    "Quién puede: la encargada de pagos (rol `encargado_pagos`) y quien administre el "
    "programa; el resto del equipo solo consulta."
)


def issue_out(issue: PaymentIssue) -> PaymentIssueOut:
    return PaymentIssueOut(
        id=issue.id,
        kind=issue.kind,
        kind_label=ISSUE_KINDS.get(issue.kind, issue.kind),
        period=issue.period,
        family_id=issue.family_id,
        reference=issue.end_to_end_id,
        bank_reference=issue.bank_reference,
        amount=issue.amount,
        detail=issue.detail,
        opened_at=issue.opened_at,
        resolved_at=issue.resolved_at,
        resolved_by=issue.resolved_by,
        resolution=issue.resolution,
        notes=issue.notes,
    )


@router.get(
    "",
    summary="Problemas de pago: lo que el banco contradijo (rechazó y cargó, cargó dos veces…)",
    description="Mientras un problema está abierto, manda el cargo del banco: la orden cuenta "
    "como pagada y no se envía de nuevo. Lo consulta todo el equipo de pagos.",
)
async def list_issues(
    db: Session,
    status: Annotated[
        Literal["open", "resolved", "all"], Query(description="Abiertos, resueltos o todos")
    ] = "open",
    period: Annotated[
        str | None, Query(pattern=PERIOD_PATTERN, description="Mes de la orden, AAAA-MM")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[PaymentIssueOut]:
    found = await issue_service.listed(
        db, status=status, period=parse_period(period) if period else None, limit=limit
    )
    return [issue_out(i) for i in found]


@router.post(
    "/{issue_id}/resolution",
    summary="Resolver un problema de pago, según lo que confirmó el banco (queda en auditoría)",
    description=(
        "pagada: el cargo del banco vale y la orden sigue pagada. no_pagada: el banco devolvió "
        "el cargo (o no lo hizo): la orden vuelve a pendiente, el libro registra la devolución "
        "y el próximo ciclo la paga; en un segundo cargo, el banco lo revirtió. revisado: nada "
        f"más que hacer (un archivo rechazado entero). {WHO}"
    ),
    responses={
        404: {"description": "No existe ese problema de pago"},
        409: {"description": "Ya estaba resuelto, o la transferencia ya no figura pagada"},
        422: {"description": "Esa resolución no corresponde a ese tipo de problema"},
    },
)
async def resolve_issue(
    issue_id: UUID, body: IssueResolutionIn, db: Session, actor: Actor = "sistema"
) -> PaymentIssueOut:
    issue = await issue_service.resolve(
        db, issue_id, body.resolution, notes=body.notes, actor=actor
    )
    return issue_out(issue)
