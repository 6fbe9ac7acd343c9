"""What an Apoyo Familiar has to do next with each family, overdue first."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import Case
from services.plans.repository import abandonment, cases, diagnosis, plans, sessions
from services.plans.schemas import TaskOut


class TasksService:
    async def due(
        self,
        session: AsyncSession,
        professional: UUID,
        *,
        today: date,
        diagnosis_deadline_days: int,
    ) -> list[TaskOut]:
        accompanied = await cases.accompanied_by(session, professional)
        if not accompanied:
            return []
        ids = [c.family_id for c in accompanied]
        diagnoses = {d.family_id: d for d in await diagnosis.diagnoses_of(session, ids)}
        signed = await plans.families_with_signed_plan(session, ids)
        seen = await sessions.families_attended_since(session, ids, today.replace(day=1))
        warned = await abandonment.kinds_filed(session, ids)
        tasks: list[TaskOut] = []
        for case in accompanied:
            assert case.committed_on is not None
            found = diagnoses.get(case.family_id)
            if found is None or found.status != "completado":
                due = case.committed_on + timedelta(days=diagnosis_deadline_days)
                tasks.append(
                    _task(case, "completar_diagnostico", "Completar el diagnóstico", due, today)
                )
            elif case.family_id not in signed:
                tasks.append(
                    _task(
                        case, "firmar_plan", "Acordar y firmar el plan de intervención", None, today
                    )
                )
            elif case.family_id not in seen:
                tasks.append(
                    _task(case, "sesion_del_mes", "Sin sesión con la familia este mes", None, today)
                )
            kinds = warned.get(case.family_id, set())
            if "aviso" in kinds and "visita" not in kinds:
                tasks.append(
                    _task(case, "visita_abandono", "Visita domiciliaria por abandono", None, today)
                )
        return sorted(tasks, key=lambda t: (not t.overdue, t.due_on or date.max))


def _task(case: Case, kind: str, label: str, due: date | None, today: date) -> TaskOut:
    return TaskOut(
        family_id=case.family_id,
        kind=kind,
        kind_label=label,
        due_on=due,
        overdue=bool(due and due < today),
    )


tasks_service = TasksService()
