"""Bonuses reported by the ministry or accredited at the municipality, imported from a file."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.payments.api.uploads import CSV_BODY, uploaded_text
from services.payments.bonuses import bonus_service
from services.payments.labels import BONUS_CONCEPTS
from services.payments.schemas import BonusImportOut
from shared.http.deps import Actor, Session

router = APIRouter(prefix="/v1/bonuses", tags=["bonos"])


@router.post(
    "",
    summary="Importar bonos informados por el ministerio o acreditados en la municipalidad",
    description="CSV (`;` o `,`) con columnas run, mes (AAAA-MM), concepto, monto, fuente. "
    "Conceptos: " + ", ".join(BONUS_CONCEPTS) + ". Se aplica completo o nada; "
    "reimportar el mismo archivo no registra nada dos veces.",
    openapi_extra=CSV_BODY,
    responses={422: {"description": "Filas con errores (ninguna se registró)"}},
)
async def import_bonuses(request: Request, db: Session, actor: Actor = "sistema") -> BonusImportOut:
    content = await uploaded_text(request, 20_000_000, "bonos")
    imported = await bonus_service.import_file(db, content, actor=actor)
    return BonusImportOut(
        registered=imported.registered, already_registered=imported.already_registered
    )
