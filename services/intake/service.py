"""Intake's business rules for one family: registration, representative, assignment."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.caseload import balance
from services.intake.importer import PRODUCER, caseload_capacities, snapshot
from services.intake.models import Assignment, Family, FamilyVersion, Member, Staff
from services.intake.repository import families as repository
from services.intake.representative import ADULT_AGE, age_on, choose_representative
from services.intake.schemas import FamilyIn
from shared.contracts.intake import FamilyAssigned, FamilyReferred, RepresentativeChanged
from shared.db.audit import record_audit
from shared.db.outbox import add_event
from shared.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from shared.rut import normalize_rut


class IntakeService:
    async def register_family(
        self,
        session: AsyncSession,
        data: FamilyIn,
        *,
        actor: str,
        today: date,
        caseload_limit: int,
    ) -> Family:
        """Register one referred family by hand and announce it, in one transaction."""
        runs = [member.run for member in data.members]
        if len(set(runs)) != len(runs):
            raise ValidationFailed("Una persona aparece dos veces en la familia")
        family_id = uuid4()
        family_code = data.family_code or f"F-{str(family_id)[:8].upper()}"
        existing = await repository.find_by_code(
            session, data.comuna, data.cohort_year, family_code
        )
        if existing is not None:
            raise Conflict(
                f"La familia {family_code} ya está registrada en {data.comuna} "
                f"para la nómina {data.cohort_year}",
                family_id=str(existing.id),
            )
        active = await repository.active_families_of(session, runs)
        if active:
            raise Conflict(
                "Una de las personas ya participa activamente en otra familia",
                count=len(active),
            )
        family = Family(
            id=family_id,
            family_code=family_code,
            comuna=data.comuna,
            cohort_year=data.cohort_year,
            referred_on=data.referred_on or today,
            created_by=actor,
            version=1,
        )
        family.members = [
            Member(
                position=position,
                run=member.run,
                given_names=member.given_names,
                paternal_surname=member.paternal_surname,
                maternal_surname=member.maternal_surname,
                sex=member.sex,
                birth_date=member.birth_date,
                relation=member.relation,
                is_household_head=member.household_head,
            )
            for position, member in enumerate(data.members)
        ]
        choice = choose_representative(family.members, today)
        if choice is not None:
            family.representative_run = choice.run
            family.representative_reason = choice.reason
            family.representative_since = today
        session.add(family)
        session.add(
            FamilyVersion(
                family_id=family_id,
                version=1,
                change="creada",
                snapshot=snapshot(family.members),
                created_by=actor,
            )
        )
        await session.flush()
        await add_event(
            session,
            FamilyReferred(
                family_id=family.id,
                family_code=family.family_code,
                comuna=family.comuna,
                cohort_year=family.cohort_year,
                referred_on=family.referred_on,
                member_count=len(family.members),
            ),
            producer=PRODUCER,
            actor=actor,
            family_id=family.id,
        )
        capacities = await caseload_capacities(session, family.comuna, caseload_limit)
        staff_id = balance([family.id], capacities)[family.id]
        if staff_id is not None:
            await self._assign(session, family, staff_id, "Asignación por carga equilibrada", actor)
        await record_audit(
            session, actor=actor, action="familia.registrada", entity="family", entity_id=family.id
        )
        return family

    async def get_family(self, session: AsyncSession, family_id: UUID) -> Family:
        family = await repository.get_family(session, family_id)
        if family is None:
            raise NotFound("No existe una familia con ese identificador")
        return family

    async def find_by_run(self, session: AsyncSession, run: str) -> list[Family]:
        return list(await repository.families_with_member(session, normalize_rut(run)))

    async def choose_representative(
        self,
        session: AsyncSession,
        family_id: UUID,
        run: str,
        justification: str,
        *,
        actor: str,
        today: date,
    ) -> Family:
        """An operator overrides the priority rule, with a justification that is audited."""
        family = await self._active(session, family_id)
        member = next((m for m in family.members if m.run == run), None)
        if member is None:
            raise ValidationFailed("La persona indicada no es integrante de la familia")
        age = age_on(member.birth_date, today)
        if age is not None and age < ADULT_AGE:
            raise ValidationFailed("El representante debe ser mayor de edad")
        if family.representative_run == run:
            raise Conflict("Esa persona ya es la representante de la familia")
        family.representative_run = run
        family.representative_reason = "designado"
        family.representative_justification = justification
        family.representative_since = today
        await add_event(
            session,
            RepresentativeChanged(
                family_id=family.id, member_id=member.id, reason="designado", effective_on=today
            ),
            producer=PRODUCER,
            actor=actor,
            family_id=family.id,
        )
        await record_audit(
            session,
            actor=actor,
            action="familia.representante_designado",
            entity="family",
            entity_id=family.id,
            integrante_id=str(member.id),
            justificacion=justification,
        )
        return family

    async def reassign(
        self, session: AsyncSession, family_id: UUID, staff_id: UUID, reason: str, *, actor: str
    ) -> Family:
        family = await self._active(session, family_id)
        staff = await session.get(Staff, staff_id)
        if staff is None or not staff.active or staff.role != "apoyo_familiar":
            raise ValidationFailed("La persona indicada no es un Apoyo Familiar activo")
        if family.apoyo_familiar_id == staff_id:
            raise Conflict("La familia ya está asignada a esa persona")
        await self._assign(session, family, staff_id, reason, actor)
        await record_audit(
            session,
            actor=actor,
            action="familia.reasignada",
            entity="family",
            entity_id=family.id,
            staff_id=str(staff_id),
            motivo=reason,
        )
        return family

    async def _assign(
        self, session: AsyncSession, family: Family, staff_id: UUID, reason: str, actor: str
    ) -> None:
        previous = family.apoyo_familiar_id
        await session.execute(
            update(Assignment)
            .where(Assignment.family_id == family.id, Assignment.ended_at.is_(None))
            .values(ended_at=func.now())
        )
        session.add(
            Assignment(family_id=family.id, staff_id=staff_id, reason=reason, assigned_by=actor)
        )
        family.apoyo_familiar_id = staff_id
        await add_event(
            session,
            FamilyAssigned(
                family_id=family.id,
                staff_id=staff_id,
                previous_staff_id=previous,
                reason=reason[:500],
            ),
            producer=PRODUCER,
            actor=actor,
            family_id=family.id,
        )

    async def _active(self, session: AsyncSession, family_id: UUID) -> Family:
        family = await self.get_family(session, family_id)
        if family.status != "active":
            raise IllegalTransition("La familia ya egresó del programa: no admite cambios")
        return family


intake_service = IntakeService()
