"""In-person payments collected at a counter."""

from __future__ import annotations

from fastapi import APIRouter

from services.payments.in_person import in_person_service
from services.payments.labels import LINE_STATES
from services.payments.schemas import ClaimOut
from shared.http.deps import Actor, Runtime, Session

router = APIRouter(prefix="/v1/in-person-payments", tags=["pago presencial"])


@router.post(
    "/{reference}/claim",
    summary="Registrar el cobro en caja de un pago presencial (según el informe de la caja)",
    responses={
        404: {"description": "No existe un pago con esa referencia"},
        409: {"description": "El pago no está disponible para cobro (cobrado, caducado…)"},
    },
)
async def claim(
    reference: str, db: Session, runtime: Runtime, actor: Actor = "sistema"
) -> ClaimOut:
    line = await in_person_service.claim(db, reference, actor=actor, today=runtime.today())
    return ClaimOut(
        reference=reference,
        status="claimed",
        status_label=LINE_STATES["claimed"],
        amount=int(line.amount),
    )
