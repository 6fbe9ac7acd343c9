"""`/v1/nominas`: upload the Ministry's nómina, read the outcome, download the error report."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from services.intake.api.responses import NO_IMPORT, Responses
from services.intake.importer import ImportRequest, nomina_importer
from services.intake.nomina.reader import MAX_BYTES
from services.intake.schemas import NominaImportOut, NominaImportRecord
from shared.errors import ValidationFailed
from shared.http.deps import Actor, Runtime, Session
from shared.http.files import file_content
from shared.tabular import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE

router = APIRouter(prefix="/v1/nominas", tags=["nóminas"])

STATUS_CODES = {"importada": 201, "sin_cambios": 200, "rechazada": 422}
REPORT_MEDIA_TYPES: Responses = {200: {"content": file_content(CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE)}}


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
    summary = await nomina_importer.run(db, request)
    response.status_code = STATUS_CODES[summary.status]
    return summary


@router.get("/{import_id}", summary="Resultado de una importación", responses=NO_IMPORT)
async def get_import(import_id: UUID, db: Session) -> NominaImportRecord:
    return await nomina_importer.record(db, import_id)


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
    report = await nomina_importer.error_report(db, import_id, file_format)
    return Response(
        report.content,
        media_type=report.media_type,
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )
