"""SQL on nómina imports, and nothing else."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import NominaImport


async def lock_comuna_year(session: AsyncSession, comuna: str, cohort_year: int) -> None:
    """Until the transaction ends, no other import of this comuna and year runs."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"nomina:{comuna}:{cohort_year}"},
    )


async def get_import(session: AsyncSession, import_id: UUID) -> NominaImport | None:
    return await session.get(NominaImport, import_id)


async def imported_with_content(
    session: AsyncSession, comuna: str, cohort_year: int, content_sha256: str
) -> NominaImport | None:
    return await session.scalar(
        select(NominaImport).where(
            NominaImport.comuna == comuna,
            NominaImport.cohort_year == cohort_year,
            NominaImport.content_sha256 == content_sha256,
            NominaImport.status == "importada",
        )
    )


async def record_outcome(
    session: AsyncSession,
    import_id: UUID,
    summary: dict[str, Any],
    errors: list[dict[str, Any]],
) -> None:
    await session.execute(
        update(NominaImport)
        .where(NominaImport.id == import_id)
        .values(summary=summary, errors=errors)
    )
