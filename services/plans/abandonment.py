"""The abandonment procedure's documents, filed in their order: warning, home visit,
report, recommendation."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.cases import case_service
from services.plans.events import record_event
from services.plans.guards import ensure_committed
from services.plans.models import AbandonmentRecord
from services.plans.repository import abandonment as repository
from services.plans.schemas import AbandonmentIn
from shared.contracts.plans import AbandonmentReported
from shared.errors import IllegalTransition, ValidationFailed

ORDER = ["aviso", "visita", "informe", "recomendacion"]


class AbandonmentService:
    async def records(self, session: AsyncSession, family_id: UUID) -> list[AbandonmentRecord]:
        """The family's documents, by date."""
        await case_service.get_case(session, family_id)
        return list(await repository.records_of(session, family_id))

    async def file(
        self,
        session: AsyncSession,
        family_id: UUID,
        document: AbandonmentIn,
        *,
        actor: str,
        today: date,
    ) -> AbandonmentRecord:
        case = await case_service.get_case(session, family_id, lock=True)
        ensure_committed(case, "documentos de abandono")
        if document.dated > today:
            raise ValidationFailed("La fecha del documento no puede ser futura")
        previous = {r.kind for r in await repository.records_of(session, family_id)}
        needed = ORDER[: ORDER.index(document.kind)]
        missing = [k for k in needed if k not in previous]
        if missing:
            raise IllegalTransition(
                "El procedimiento de abandono sigue un orden: falta antes " + ", ".join(missing)
            )
        if document.kind == "recomendacion" and not document.recommendation:
            raise ValidationFailed("Indique la recomendación: egreso o reincorporación")
        record = AbandonmentRecord(
            family_id=family_id,
            kind=document.kind,
            dated=document.dated,
            author=actor,
            content=document.content,
            recommendation=document.recommendation,
        )
        session.add(record)
        await session.flush()
        reported = AbandonmentReported(
            family_id=family_id,
            record_id=record.id,
            kind=document.kind,
            dated=record.dated,
            recommendation=record.recommendation,
        )
        await record_event(session, reported, actor=actor)
        return record


abandonment_service = AbandonmentService()
