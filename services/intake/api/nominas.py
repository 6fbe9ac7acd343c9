"""`/v1/nominas`: upload the Ministry's nómina, read the outcome, download the error report."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.intake.importer import ImportRequest, nomina_importer
from services.intake.models import NominaImport
from services.intake.nomina.reader import MAX_BYTES
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.http.deps import Actor, Runtime, Session
from shared.tabular import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx

router = APIRouter(prefix="/v1/nominas", tags=["nóminas"])

ERROR_COLUMNS = ("fila", "columna", "valor", "motivo", "id_familia")
ERROR_HEADERS = ("Fila", "Columna", "Valor (enmascarado)", "Motivo", "ID familia")


@router.post(
    "",
    summary="Importar una nómina de derivación (CSV, XLSX o JSON)",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "El mismo archivo ya estaba importado: no se hizo ningún cambio"},
        422: {"description": "Archivo rechazado: el informe de errores viene en la respuesta"},
    },
)
async def import_nomina(
    db: Session,
    rt: Runtime,
    archivo: Annotated[UploadFile, File(description="Nómina: .csv, .xlsx o .json")],
    comuna: Annotated[str, Form(min_length=1, max_length=80)],
    anio: Annotated[int, Form(ge=2000, le=2100, description="Año de la nómina")],
    aceptar_validas: Annotated[
        bool, Form(description="Importar las familias sin errores aunque otras los tengan")
    ] = False,
    actor: Actor = "sistema",
) -> JSONResponse:
    content = await archivo.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ValidationFailed(f"El archivo supera el máximo de {MAX_BYTES // 2**20} MB")
    # One import at a time per comuna and year: versions and caseloads stay consistent.
    await db.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"nomina:{comuna}:{anio}"}
    )
    request = ImportRequest(
        content=content,
        filename=archivo.filename or "nomina",
        comuna=" ".join(comuna.split()),
        cohort_year=anio,
        accept_valid=aceptar_validas,
        actor=actor,
        today=rt.today(),
        caseload_limit=rt.settings.caseload_max_active,
    )
    try:
        summary = await nomina_importer.run(db, request)
    except IntegrityError as exc:
        raise Conflict("Este archivo se está importando en este momento; reintente") from exc
    summary["informe_errores"] = f"/v1/nominas/{summary['id_importacion']}/errores"
    code = {"importada": 201, "sin_cambios": 200, "rechazada": 422}[summary["estado"]]
    return JSONResponse(summary, status_code=code)


async def _import(db: Session, import_id: UUID) -> NominaImport:
    found = await db.get(NominaImport, import_id)
    if found is None:
        raise NotFound("No existe esa importación de nómina")
    return found


@router.get("/{import_id}", summary="Resultado de una importación")
async def get_import(import_id: UUID, db: Session) -> dict[str, Any]:
    found = await _import(db, import_id)
    return {
        **found.summary,
        "id_importacion": str(found.id),
        "estado": found.status,
        "importada_por": found.created_by,
        "fecha": found.created_at.isoformat(),
    }


@router.get(
    "/{import_id}/errores",
    summary="Informe de errores de una importación (CSV o XLSX)",
    response_class=Response,
    responses={200: {"content": {CSV_MEDIA_TYPE: {}, XLSX_MEDIA_TYPE: {}}}},
)
async def download_errors(
    import_id: UUID,
    db: Session,
    formato: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> Response:
    found = await _import(db, import_id)
    rows = [[error.get(c) for c in ERROR_COLUMNS] for error in found.errors]
    stem = f"errores-nomina-{found.comuna}-{found.cohort_year}-{str(found.id)[:8]}"
    safe_stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)
    if formato == "xlsx":
        body, media = to_xlsx(ERROR_HEADERS, rows, title="Errores"), XLSX_MEDIA_TYPE
    else:
        body, media = to_csv(ERROR_HEADERS, rows), CSV_MEDIA_TYPE
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{safe_stem}.{formato}"'},
    )
