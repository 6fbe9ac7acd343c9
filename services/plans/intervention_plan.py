"""The intervention plan: goals agreed with the family, a draft until signed.

A signed revision never changes; a change after signing is a new draft revision.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.cases import case_service
from services.plans.catalog import catalog_service
from services.plans.events import record_event
from services.plans.guards import check_version, ensure_committed
from services.plans.models import Goal, Plan
from services.plans.repository import diagnosis as diagnoses
from services.plans.repository import plans as repository
from services.plans.rules import MINIMUM_SESSIONS, trajectory
from services.plans.schemas import PlanIn
from shared.contracts.plans import PlanSigned
from shared.errors import IllegalTransition, ValidationFailed


class InterventionPlanService:
    async def revisions(self, session: AsyncSession, family_id: UUID) -> list[Plan]:
        """Every revision of the family's plan, oldest first."""
        return list(await repository.revisions(session, family_id))

    async def signed(self, session: AsyncSession, family_id: UUID) -> Plan | None:
        """The plan in force: the last signed revision."""
        return await repository.last_signed(session, family_id)

    async def save_draft(
        self,
        session: AsyncSession,
        family_id: UUID,
        proposed: PlanIn,
        *,
        expected_version: int | None,
        actor: str,
    ) -> Plan:
        """Create the draft (a new revision after a signed one) or replace its goals."""
        case = await case_service.get_case(session, family_id, lock=True)
        ensure_committed(case, "un plan de intervención")
        diagnosis = await diagnoses.get_diagnosis(session, family_id)
        if diagnosis is None or diagnosis.status != "completado":
            raise IllegalTransition("El plan se elabora después de completar el diagnóstico")
        plans = await self.revisions(session, family_id)
        draft = next((p for p in plans if p.status == "borrador"), None)
        if draft is None:
            draft = Plan(
                family_id=family_id,
                revision=(plans[-1].revision + 1) if plans else 1,
                created_by=actor,
                goals=[],
            )
            session.add(draft)
        else:
            check_version(draft.lock_version, expected_version, "el plan")
            draft.lock_version += 1
        dimensions = {
            i.dimension_code for i in (await catalog_service.indicators(session)).values()
        }
        for goal in proposed.goals:
            if goal.dimension not in dimensions:
                raise ValidationFailed(f"Dimensión desconocida: {goal.dimension}")
        draft.asl_adults = proposed.asl_adults
        draft.goals.clear()
        await session.flush()
        draft.goals.extend(
            # GoalIn's other fields are the table's columns, under the same names.
            Goal(
                position=position,
                dimension_code=goal.dimension,
                **goal.model_dump(exclude={"dimension"}),
            )
            for position, goal in enumerate(proposed.goals)
        )
        await session.flush()
        await repository.reload_goals(session, draft)
        return draft

    async def sign(
        self,
        session: AsyncSession,
        family_id: UUID,
        *,
        signed_on: date,
        expected_version: int | None,
        actor: str,
        today: date,
    ) -> Plan:
        case = await case_service.get_case(session, family_id, lock=True)
        committed = ensure_committed(case, "la firma del plan")
        plans = await self.revisions(session, family_id)
        draft = next((p for p in plans if p.status == "borrador"), None)
        if draft is None:
            raise IllegalTransition("No hay un borrador de plan para firmar")
        check_version(draft.lock_version, expected_version, "el plan")
        if not draft.goals:
            raise ValidationFailed("El plan debe tener al menos una meta")
        if signed_on > today or signed_on < committed:
            raise ValidationFailed(
                "La fecha de firma debe estar entre la carta de compromiso y hoy"
            )
        draft.status = "firmado"
        draft.signed_on = signed_on
        draft.signed_by = actor
        draft.lock_version += 1
        kind = trajectory(draft.asl_adults)
        signed = PlanSigned(
            family_id=family_id,
            plan_id=draft.id,
            revision=draft.revision,
            signed_on=signed_on,
            trajectory=kind,
            minimum_sessions=MINIMUM_SESSIONS[kind],
            goals=len(draft.goals),
        )
        await record_event(
            session, signed, actor=actor, audited_as="plan.firmado", revision=draft.revision
        )
        return draft


intervention_plan_service = InterventionPlanService()
