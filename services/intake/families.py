"""One family's registration, representative, assignment, versions and search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.caseload import balance
from services.intake.events import announce, audit_family, record_fact
from services.intake.models import Assignment, Family, FamilyVersion, Member
from services.intake.repository import families as repository
from services.intake.repository import staff as staff_repository
from services.intake.representative import ADULT_AGE, age_on, choose_representative
from services.intake.schemas import AssignmentIn, FamilyIn, RepresentativeIn
from services.intake.versions import snapshot
from shared.contracts.intake import FamilyAssigned, FamilyReferred, RepresentativeChanged
from shared.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from shared.rut import is_valid_rut, normalize_rut


class FamilyService:
    async def register(
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
        await announce(
            session,
            FamilyReferred(
                family_id=family.id,
                family_code=family.family_code,
                comuna=family.comuna,
                cohort_year=family.cohort_year,
                referred_on=family.referred_on,
                member_count=len(family.members),
            ),
            actor=actor,
        )
        capacities = await staff_repository.caseload_capacities(
            session, family.comuna, caseload_limit
        )
        staff_id = balance([family.id], capacities)[family.id]
        if staff_id is not None:
            await self._assign(session, family, staff_id, "Asignación por carga equilibrada", actor)
        await audit_family(session, family.id, actor=actor, action="familia.registrada")
        return family

    async def get(
        self, session: AsyncSession, family_id: UUID, *, for_update: bool = False
    ) -> Family:
        family = await repository.get_family(session, family_id, for_update=for_update)
        if family is None:
            raise NotFound("No existe una familia con ese identificador")
        return family

    async def find_by_run(self, session: AsyncSession, run: str) -> Sequence[Family]:
        return await repository.families_with_member(session, normalize_rut(run))

    async def search(self, session: AsyncSession, query: str, *, limit: int) -> Sequence[Family]:
        """A RUT exactly after normalising it; otherwise part of a name, or a nómina code.

        The query holds personal data: nothing here logs it.
        """
        query = " ".join(query.split())
        if is_valid_rut(query):
            return (await self.find_by_run(session, query))[:limit]
        return await repository.search(session, query, limit)

    async def versions(self, session: AsyncSession, family_id: UUID) -> Sequence[FamilyVersion]:
        await self.get(session, family_id)
        return await repository.versions_of(session, family_id)

    async def choose_representative(
        self,
        session: AsyncSession,
        family_id: UUID,
        choice: RepresentativeIn,
        *,
        actor: str,
        today: date,
    ) -> Family:
        """An operator overrides the priority rule, with a justification that is audited."""
        family = await self._active(session, family_id)
        member = next((m for m in family.members if m.run == choice.run), None)
        if member is None:
            raise ValidationFailed("La persona indicada no es integrante de la familia")
        age = age_on(member.birth_date, today)
        if age is not None and age < ADULT_AGE:
            raise ValidationFailed("El representante debe ser mayor de edad")
        if family.representative_run == choice.run:
            raise Conflict("Esa persona ya es la representante de la familia")
        family.representative_run = choice.run
        family.representative_reason = "designado"
        family.representative_justification = choice.justification
        family.representative_since = today
        await record_fact(
            session,
            RepresentativeChanged(
                family_id=family.id, member_id=member.id, reason="designado", effective_on=today
            ),
            actor=actor,
            action="familia.representante_designado",
            integrante_id=str(member.id),
            justificacion=choice.justification,
        )
        return family

    async def reassign(
        self, session: AsyncSession, family_id: UUID, assignment: AssignmentIn, *, actor: str
    ) -> Family:
        family = await self._active(session, family_id)
        staff = await staff_repository.get_staff(session, assignment.staff_id)
        if staff is None or not staff.active or staff.role != staff_repository.AFI_ROLE:
            raise ValidationFailed("La persona indicada no es un Apoyo Familiar activo")
        if family.apoyo_familiar_id == assignment.staff_id:
            raise Conflict("La familia ya está asignada a esa persona")
        await self._assign(session, family, assignment.staff_id, assignment.reason, actor)
        await audit_family(
            session,
            family.id,
            actor=actor,
            action="familia.reasignada",
            staff_id=str(assignment.staff_id),
            motivo=assignment.reason,
        )
        return family

    async def _assign(
        self, session: AsyncSession, family: Family, staff_id: UUID, reason: str, actor: str
    ) -> None:
        previous = family.apoyo_familiar_id
        await repository.end_assignment(session, family.id)
        session.add(
            Assignment(family_id=family.id, staff_id=staff_id, reason=reason, assigned_by=actor)
        )
        family.apoyo_familiar_id = staff_id
        await announce(
            session,
            FamilyAssigned(
                family_id=family.id,
                staff_id=staff_id,
                previous_staff_id=previous,
                reason=reason[:500],
            ),
            actor=actor,
        )

    async def _active(self, session: AsyncSession, family_id: UUID) -> Family:
        family = await self.get(session, family_id)
        if family.status != "active":
            raise IllegalTransition("La familia ya egresó del programa: no admite cambios")
        return family


family_service = FamilyService()
