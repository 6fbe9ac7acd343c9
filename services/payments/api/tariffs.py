"""The dated tariffs: listed, and extended by an administrator's upload."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.payments.api.uploads import CSV_BODY, uploaded_text
from services.payments.reliquidation import reliquidation_service
from services.payments.schemas import ReliquidationTotalOut, TariffOut, TariffUploadOut
from services.payments.tariff_store import tariff_service
from shared.http.deps import Actor, Session

router = APIRouter(prefix="/v1/tariffs", tags=["tarifas"])


@router.get("", summary="Tarifas vigentes e históricas, con su publicación y fuente")
async def tariffs(db: Session) -> list[TariffOut]:
    return [TariffOut.model_validate(row) for row in await tariff_service.current(db)]


@router.post(
    "",
    summary="Cargar tarifas nuevas (CSV como tarifas.csv); una tarifa publicada no se modifica",
    openapi_extra=CSV_BODY,
    responses={
        409: {"description": "La tarifa ya está publicada con otro monto o fecha"},
        422: {"description": "El archivo tiene una línea mal escrita (ninguna se cargó)"},
    },
)
async def upload_tariffs(
    request: Request, db: Session, actor: Actor = "sistema"
) -> TariffUploadOut:
    content = await uploaded_text(request, 1_000_000, "tarifas")
    loaded = await reliquidation_service.load_tariffs(db, content, actor=actor)
    return TariffUploadOut(
        added=loaded.added,
        reliquidation=ReliquidationTotalOut(months=loaded.months, amount=loaded.amount),
    )
