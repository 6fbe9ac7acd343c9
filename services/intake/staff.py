"""The unit's people: who they are, their role, whom they report to, how many families."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import Staff
from services.intake.repository import staff as repository
from services.intake.schemas import StaffIn
from shared.db.audit import record_audit
from shared.errors import Conflict, NotFound

ROLE_LABELS = {
    "apoyo_familiar": "Apoyo Familiar Integral",
    "jefe_unidad": "Jefe/a de Unidad",
    "administrativo": "Administrativo/a",
    "supervisor_fosis": "Supervisor/a FOSIS (solo lectura)",
}


class StaffService:
    async def add(self, session: AsyncSession, person: StaffIn, *, actor: str) -> Staff:
        if await repository.run_taken(session, person.run):
            raise Conflict("Esa persona ya está en el equipo")
        if (
            person.reports_to_id is not None
            and await repository.get_staff(session, person.reports_to_id) is None
        ):
            raise NotFound("La jefatura indicada no existe")
        member = Staff(
            run=person.run,
            full_name=person.name,
            role=person.role,
            comuna=" ".join(person.comuna.split()),
            reports_to_id=person.reports_to_id,
            max_active_families=person.max_active_families,
        )
        session.add(member)
        await session.flush()
        await record_audit(
            session,
            actor=actor,
            action="equipo.agregado",
            entity="staff",
            entity_id=member.id,
            rol=person.role,
        )
        return member

    async def with_active_families(
        self, session: AsyncSession, comuna: str | None
    ) -> list[tuple[Staff, int]]:
        """Everyone (of the comuna, written with any spacing) and the families they carry."""
        return await repository.with_active_families(
            session, " ".join(comuna.split()) if comuna else None
        )


staff_service = StaffService()
