"""The final evaluation: the indicators scored again, the goals achieved, and the change."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.cases import case_service
from services.plans.catalog import catalog_service
from services.plans.diagnosis import diagnosis_service, levels_of
from services.plans.events import record_event
from services.plans.guards import ensure_committed
from services.plans.intervention_plan import intervention_plan_service
from services.plans.models import Evaluation
from services.plans.repository import evaluation as repository
from services.plans.schemas import ComparisonRow, EvaluationIn
from shared.contracts.plans import EvaluationCompleted
from shared.errors import Conflict, IllegalTransition, NotFound, ValidationFailed


class EvaluationService:
    async def evaluate(
        self,
        session: AsyncSession,
        family_id: UUID,
        result: EvaluationIn,
        *,
        actor: str,
        today: date,
    ) -> Evaluation:
        case = await case_service.get_case(session, family_id, lock=True)
        ensure_committed(case, "la evaluación")
        if await repository.get_evaluation(session, family_id) is not None:
            raise Conflict("La evaluación final de esta familia ya está registrada")
        plan = await intervention_plan_service.signed(session, family_id)
        if plan is None:
            raise IllegalTransition("La evaluación final requiere un plan de intervención firmado")
        known = await catalog_service.indicators(session)
        scored = {i.indicator for i in result.items}
        unknown = scored - set(known)
        if unknown:
            raise ValidationFailed("Indicadores desconocidos: " + ", ".join(sorted(unknown)))
        missing = [known[c].name for c in sorted(known) if c not in scored]
        if missing:
            raise ValidationFailed("Faltan indicadores por evaluar: " + "; ".join(missing))
        goal_ids = {str(g.id) for g in plan.goals}
        achieved = [str(g) for g in result.goals_achieved]
        if not set(achieved) <= goal_ids:
            raise ValidationFailed("Alguna meta indicada no pertenece al plan firmado")
        evaluation = Evaluation(
            family_id=family_id,
            evaluated_on=result.evaluated_on or today,
            items=[i.stored() for i in result.items],
            goals_achieved=achieved,
            notes=result.notes,
            completed_by=actor,
        )
        session.add(evaluation)
        await session.flush()
        completed = EvaluationCompleted(
            family_id=family_id,
            evaluated_on=evaluation.evaluated_on,
            goals_achieved=len(achieved),
            goals_total=len(goal_ids),
        )
        await record_event(session, completed, actor=actor)
        return evaluation

    async def comparison(self, session: AsyncSession, family_id: UUID) -> list[ComparisonRow]:
        """Before (diagnosis) and after (evaluation), per dimension and indicator."""
        diagnosis = await diagnosis_service.get(session, family_id)
        evaluation = await repository.get_evaluation(session, family_id)
        if evaluation is None:
            raise NotFound("La familia aún no tiene evaluación final")
        known = await catalog_service.indicators(session)
        before, after = levels_of(diagnosis.items), levels_of(evaluation.items)
        return [
            ComparisonRow(
                dimension=indicator.dimension_code,
                indicator=code,
                name=indicator.name,
                before=before.get(code),
                after=after.get(code),
                change=_change(before.get(code), after.get(code)),
            )
            for code, indicator in sorted(known.items(), key=lambda kv: kv[1].position)
        ]


def _change(before: int | None, after: int | None) -> int | None:
    if isinstance(before, int) and isinstance(after, int):
        return after - before
    return None


evaluation_service = EvaluationService()
