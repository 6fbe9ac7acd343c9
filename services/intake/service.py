"""Intake's business rules."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository
from services.intake.models import Family, Member
from services.intake.schemas import FamilyIn
from shared.contracts.intake import FamilyReferred
from shared.db.outbox import add_event
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.rut import normalize_rut

PRODUCER = "intake"


class IntakeService:
    async def register_family(
        self, session: AsyncSession, data: FamilyIn, *, actor: str, today: date
    ) -> Family:
        """Register one referred family and announce it, in one transaction."""
        runs = [member.run for member in data.miembros]
        duplicated = sorted({run for run in runs if runs.count(run) > 1})
        if duplicated:
            raise ValidationFailed("Una persona aparece dos veces en la familia")
        family_id = uuid4()
        family_code = data.id_familia or f"F-{str(family_id)[:8].upper()}"
        existing = await repository.find_by_code(session, data.comuna, data.cohorte, family_code)
        if existing is not None:
            raise Conflict(
                f"La familia {family_code} ya está registrada en {data.comuna} "
                f"para la nómina {data.cohorte}",
                family_id=str(existing.id),
            )
        active = await repository.active_families_of(session, runs)
        if active:
            raise Conflict(
                "Una de las personas ya participa activamente en otra familia",
                cantidad=len(active),
            )
        family = Family(
            id=family_id,
            family_code=family_code,
            comuna=data.comuna,
            cohort_year=data.cohorte,
            referred_on=data.fecha_derivacion or today,
            created_by=actor,
        )
        family.members = [
            Member(
                position=position,
                run=member.run,
                given_names=member.nombres,
                paternal_surname=member.apellido_paterno,
                maternal_surname=member.apellido_materno,
                sex=member.sexo,
                birth_date=member.fecha_nacimiento,
                relation=member.parentesco,
                is_household_head=member.jefe_hogar,
            )
            for position, member in enumerate(data.miembros)
        ]
        session.add(family)
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
        return family

    async def get_family(self, session: AsyncSession, family_id: UUID) -> Family:
        family = await repository.get_family(session, family_id)
        if family is None:
            raise NotFound("No existe una familia con ese identificador")
        return family

    async def find_by_run(self, session: AsyncSession, run: str) -> list[Family]:
        return list(await repository.families_with_member(session, normalize_rut(run)))


intake_service = IntakeService()
