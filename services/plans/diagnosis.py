"""The diagnóstico Eje: a draft of indicator levels until it is completed, then fixed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.cases import case_service
from services.plans.catalog import catalog_service
from services.plans.events import record_event
from services.plans.guards import check_version, ensure_committed
from services.plans.models import Diagnosis
from services.plans.repository import diagnosis as repository
from services.plans.rules import critical_indicators
from services.plans.schemas import DiagnosisItem
from shared.contracts.plans import DiagnosisCompleted
from shared.errors import Conflict, IllegalTransition, NotFound, ValidationFailed


class DiagnosisService:
    async def start(self, session: AsyncSession, family_id: UUID, actor: str) -> Diagnosis:
        """The family's diagnosis, started now if it has none."""
        case = await case_service.get_case(session, family_id, lock=True)
        ensure_committed(case, "un diagnóstico")
        existing = await repository.get_diagnosis(session, family_id)
        if existing is not None:
            return existing
        diagnosis = Diagnosis(family_id=family_id, created_by=actor, items=[])
        session.add(diagnosis)
        await session.flush()
        return diagnosis

    async def get(self, session: AsyncSession, family_id: UUID, *, lock: bool = False) -> Diagnosis:
        diagnosis = await repository.get_diagnosis(session, family_id, lock=lock)
        if diagnosis is None:
            raise NotFound("La familia aún no tiene diagnóstico")
        return diagnosis

    async def save(
        self,
        session: AsyncSession,
        family_id: UUID,
        items: Sequence[DiagnosisItem],
        *,
        expected_version: int | None,
        actor: str,
    ) -> Diagnosis:
        diagnosis = await self.get(session, family_id, lock=True)
        if diagnosis.status != "borrador":
            raise IllegalTransition("El diagnóstico ya está completado: no se puede modificar")
        check_version(diagnosis.lock_version, expected_version, "el diagnóstico")
        known = await catalog_service.indicators(session)
        for item in items:
            indicator = known.get(item.indicator)
            if indicator is None:
                raise ValidationFailed(f"Indicador desconocido: {item.indicator}")
            levels = {level["nivel"] for level in indicator.levels}
            if item.level is not None and item.level not in levels:
                raise ValidationFailed(
                    f"Nivel {item.level} no existe para «{indicator.name}»: "
                    f"use {', '.join(str(n) for n in sorted(levels))}"
                )
        merged = {i.indicator: i for i in map(DiagnosisItem.from_stored, diagnosis.items)}
        merged.update({i.indicator: i for i in items})
        diagnosis.items = [i.stored() for i in merged.values()]
        diagnosis.lock_version += 1
        await session.flush()
        return diagnosis

    async def complete(
        self,
        session: AsyncSession,
        family_id: UUID,
        *,
        expected_version: int | None,
        actor: str,
        today: date,
    ) -> Diagnosis:
        diagnosis = await self.get(session, family_id, lock=True)
        if diagnosis.status == "completado":
            raise Conflict("El diagnóstico ya estaba completado")
        check_version(diagnosis.lock_version, expected_version, "el diagnóstico")
        known = await catalog_service.indicators(session)
        levels = levels_of(diagnosis.items)
        scored = {code for code, level in levels.items() if level is not None}
        missing = [known[code].name for code in sorted(known) if code not in scored]
        if missing:
            raise ValidationFailed(
                "Faltan indicadores por evaluar: " + "; ".join(missing), missing=missing
            )
        diagnosis.status = "completado"
        diagnosis.completed_by = actor
        diagnosis.completed_on = today
        diagnosis.lock_version += 1
        critical = critical_indicators(levels, {code: i.critical_at for code, i in known.items()})
        completed = DiagnosisCompleted(
            family_id=family_id,
            diagnosis_id=diagnosis.id,
            completed_on=today,
            critical_indicators=critical,
        )
        await record_event(session, completed, actor=actor, audited_as="diagnostico.completado")
        return diagnosis


def levels_of(stored: list[dict[str, Any]]) -> dict[str, int | None]:
    """Each scored indicator's level, from a diagnosis's or an evaluation's stored items."""
    return {i.indicator: i.level for i in map(DiagnosisItem.from_stored, stored)}


diagnosis_service = DiagnosisService()
