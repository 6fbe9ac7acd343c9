"""`/v1/nominas`: upload the Ministry's nómina, read the outcome, download the error report."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import Response
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.intake.api.responses import NO_IMPORT, Responses
from services.intake.importer import ImportRequest, nomina_importer, stored_error, stored_summary
from services.intake.models import NominaImport
from services.intake.nomina.reader import MAX_BYTES
from services.intake.schemas import NominaImportOut, NominaImportRecord
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.http.deps import Actor, Runtime, Session
from shared.tabular import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx

router = APIRouter(prefix="/v1/nominas", tags=["nóminas"])

REPORT_MEDIA_TYPES: Responses = {200: {"content": {CSV_MEDIA_TYPE: {}, XLSX_MEDIA_TYPE: {}}}}
ERROR_HEADERS = ("Fila", "Columna", "Valor (enmascarado)", "Motivo", "ID familia")


@router.post(
    "",
    summary="Importar una nómina de derivación (CSV, XLSX o JSON)",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": NominaImportOut,
            "description": "El mismo archivo ya estaba importado: no se hizo ningún cambio",
        },
        422: {
            "model": NominaImportOut,
            "description": "Archivo rechazado: el informe de errores viene en la respuesta",
        },
        409: {"description": "El mismo archivo se está importando en este momento"},
    },
)
async def import_nomina(
    db: Session,
    rt: Runtime,
    response: Response,
    file: Annotated[UploadFile, File(description="Nómina: .csv, .xlsx o .json")],
    comuna: Annotated[str, Form(min_length=1, max_length=80)],
    cohort_year: Annotated[int, Form(ge=2000, le=2100, description="Año de la nómina")],
    accept_valid: Annotated[
        bool, Form(description="Importar las familias sin errores aunque otras los tengan")
    ] = False,
    actor: Actor = "sistema",
) -> NominaImportOut:
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ValidationFailed(f"El archivo supera el máximo de {MAX_BYTES // 2**20} MB")
    # One import at a time per comuna and year: versions and caseloads stay consistent.
    await db.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"nomina:{comuna}:{cohort_year}"},
    )
    request = ImportRequest(
        content=content,
        filename=file.filename or "nomina",
        comuna=" ".join(comuna.split()),
        cohort_year=cohort_year,
        accept_valid=accept_valid,
        actor=actor,
        today=rt.today(),
        caseload_limit=rt.settings.caseload_max_active,
    )
    try:
        summary = await nomina_importer.run(db, request)
    except IntegrityError as exc:
        raise Conflict("Este archivo se está importando en este momento; reintente") from exc
    response.status_code = {"importada": 201, "sin_cambios": 200, "rechazada": 422}[summary.status]
    return summary


async def _import(db: Session, import_id: UUID) -> NominaImport:
    found = await db.get(NominaImport, import_id)
    if found is None:
        raise NotFound("No existe esa importación de nómina")
    return found


@router.get("/{import_id}", summary="Resultado de una importación", responses=NO_IMPORT)
async def get_import(import_id: UUID, db: Session) -> NominaImportRecord:
    found = await _import(db, import_id)
    return NominaImportRecord(
        **stored_summary(found.summary).model_dump(),
        import_id=found.id,
        status=found.status,
        recorded_by=found.created_by,
        recorded_at=found.created_at,
    )


@router.get(
    "/{import_id}/errors",
    summary="Informe de errores de una importación (CSV o XLSX)",
    response_class=Response,
    responses=REPORT_MEDIA_TYPES | NO_IMPORT,
)
async def download_errors(
    import_id: UUID,
    db: Session,
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
) -> Response:
    found = await _import(db, import_id)
    errors = [stored_error(error) for error in found.errors]
    rows = [[e.line, e.column, e.value, e.reason, e.family_code] for e in errors]
    stem = f"errores-nomina-{found.comuna}-{found.cohort_year}-{str(found.id)[:8]}"
    safe_stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)
    if file_format == "xlsx":
        body, media = to_xlsx(ERROR_HEADERS, rows, title="Errores"), XLSX_MEDIA_TYPE
    else:
        body, media = to_csv(ERROR_HEADERS, rows), CSV_MEDIA_TYPE
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{safe_stem}.{file_format}"'},
    )
