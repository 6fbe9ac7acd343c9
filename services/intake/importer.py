"""Importing a nómina: atomic per file, idempotent by content, versioned per family.

One transaction holds everything a file changes — families, members, versions,
representatives, assignments, events and the import record — so a file is imported
whole or not at all, and its events reach the bus only if it commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.caseload import Capacity, balance
from services.intake.models import (
    Family,
    FamilyVersion,
    Member,
    NominaImport,
    Staff,
)
from services.intake.nomina.reader import read_nomina
from services.intake.nomina.validate import (
    CheckedFile,
    FamilyDraft,
    PersonRow,
    RowError,
    check_rows,
)
from services.intake.representative import choose_representative
from services.intake.schemas import ImportSummary, NominaError, NominaImportOut
from shared.contracts.envelope import Envelope
from shared.contracts.intake import (
    FamilyAssigned,
    FamilyReferred,
    FamilyUpdated,
    RepresentativeChanged,
)
from shared.db.audit import record_audit
from shared.db.bulk import copy_rows
from shared.db.outbox import add_events
from shared.rut import mask_rut

PRODUCER = "intake"
MAX_ERRORS_IN_SUMMARY = 1000
AFI_ROLE = "apoyo_familiar"


@dataclass(frozen=True)
class ImportRequest:
    content: bytes
    filename: str
    comuna: str
    cohort_year: int
    accept_valid: bool
    actor: str
    today: date
    caseload_limit: int


# Imports recorded before the HTTP surface spoke English stored their summary and errors
# under these keys; they are read through this map, never rewritten.
_STORED_SPANISH_KEYS = {
    "archivo": "filename",
    "anio": "cohort_year",
    "filas": "rows",
    "familias_importadas": "families_imported",
    "familias_nuevas": "families_created",
    "familias_actualizadas": "families_updated",
    "familias_sin_cambios": "families_unchanged",
    "familias_rechazadas": "families_rejected",
    "familias_sin_asignar": "families_unassigned",
    "asignaciones": "assignments",
    "errores": "errors",
    "errores_total": "error_count",
    "advertencias": "warnings",
    "fila": "line",
    "columna": "column",
    "valor": "value",
    "motivo": "reason",
    "id_familia": "family_code",
}


def stored_error(error: dict[str, Any]) -> NominaError:
    return NominaError.model_validate(
        {_STORED_SPANISH_KEYS.get(key, key): value for key, value in error.items()}
    )


def stored_summary(summary: dict[str, Any]) -> ImportSummary:
    fields = {_STORED_SPANISH_KEYS.get(key, key): value for key, value in summary.items()}
    fields["errors"] = [stored_error(error) for error in fields.get("errors", [])]
    return ImportSummary.model_validate(fields)


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def snapshot(people: Sequence[PersonRow | Member]) -> dict[str, Any]:
    """A family's data as the nómina gave it, in a form that compares and stores as JSON.

    Stored in `FamilyVersion.snapshot` under the nómina's own (Spanish) names, and compared
    with the next file's: a change of these keys would make every family look changed.
    """
    return {
        "miembros": [
            {
                "run": p.run,
                "nombres": p.given_names,
                "apellido_paterno": p.paternal_surname,
                "apellido_materno": p.maternal_surname,
                "sexo": p.sex,
                "fecha_nacimiento": p.birth_date.isoformat() if p.birth_date else None,
                "parentesco": p.relation,
                "jefe_hogar": p.is_household_head,
                "direccion": p.address,
                "comuna": p.comuna,
                "telefono": p.phone,
                "tramo_rsh": p.rsh_bracket,
                "ingreso_per_capita": p.per_capita_income,
            }
            for p in people
        ]
    }


def _member_values(family_id: UUID, position: int, p: PersonRow) -> dict[str, Any]:
    return {
        "id": uuid4(),
        "family_id": family_id,
        "position": position,
        "run": p.run,
        "given_names": p.given_names,
        "paternal_surname": p.paternal_surname,
        "maternal_surname": p.maternal_surname,
        "sex": p.sex,
        "birth_date": p.birth_date,
        "relation": p.relation,
        "is_household_head": p.is_household_head,
        "address": p.address,
        "comuna": p.comuna,
        "phone": p.phone,
        "rsh_bracket": p.rsh_bracket,
        "per_capita_income": p.per_capita_income,
    }


class NominaImporter:
    async def run(self, session: AsyncSession, request: ImportRequest) -> NominaImportOut:
        digest = content_hash(request.content)
        previous = await session.scalar(
            select(NominaImport).where(
                NominaImport.comuna == request.comuna,
                NominaImport.cohort_year == request.cohort_year,
                NominaImport.content_sha256 == digest,
                NominaImport.status == "importada",
            )
        )
        if previous is not None:
            earlier = stored_summary(previous.summary)
            return NominaImportOut(
                **earlier.model_copy(update={"families_imported": []}).model_dump(),
                import_id=previous.id,
                status="sin_cambios",
                message=(
                    f"Este archivo ya fue importado el {previous.created_at:%d-%m-%Y}: "
                    "no se hizo ningún cambio"
                ),
            )
        raw = read_nomina(request.content, request.filename)
        checked = check_rows(raw, today=request.today)
        existing = await self._existing_families(session, request, checked)
        self._reject_people_active_elsewhere(
            checked, await self._active_elsewhere(session, checked, existing)
        )
        import_id = uuid4()
        if checked.errors and not request.accept_valid:
            summary = self._summary(request, checked, created=[], updated=[], unchanged=[])
            await self._record_import(
                session, request, import_id, digest, "rechazada", checked, summary
            )
            return NominaImportOut(**summary.model_dump(), import_id=import_id, status="rechazada")
        # The import row first: families and versions refer to it.
        session.add(
            NominaImport(
                id=import_id,
                comuna=request.comuna,
                cohort_year=request.cohort_year,
                filename=request.filename[:255],
                content_sha256=digest,
                accept_valid=request.accept_valid,
                status="importada",
                rows=checked.rows,
                summary={},
                errors=[],
                created_by=request.actor,
            )
        )
        await session.flush()
        created, updated, unchanged = await self._write(
            session, request, import_id, checked, existing
        )
        assigned, unassigned = await self._assign(session, request, created)
        summary = self._summary(
            request, checked, created=created, updated=updated, unchanged=unchanged
        )
        summary.families_unassigned = unassigned
        summary.assignments = assigned
        if unassigned:
            summary.warnings.append(
                f"{len(unassigned)} familias quedaron sin Apoyo Familiar: no hay "
                "profesionales con cupo en la comuna"
            )
        await session.execute(
            update(NominaImport)
            .where(NominaImport.id == import_id)
            .values(
                summary=summary.model_dump(mode="json"),
                errors=[asdict(e) for e in checked.errors],
            )
        )
        await record_audit(
            session,
            actor=request.actor,
            action="nomina.importada",
            entity="nomina_import",
            entity_id=import_id,
            nuevas=len(created),
            actualizadas=len(updated),
            rechazadas=len(checked.rejected),
        )
        return NominaImportOut(**summary.model_dump(), import_id=import_id, status="importada")

    async def _existing_families(
        self, session: AsyncSession, request: ImportRequest, checked: CheckedFile
    ) -> dict[str, Family]:
        codes = [draft.code for draft in checked.families]
        if not codes:
            return {}
        rows = await session.scalars(
            select(Family).where(
                Family.comuna == request.comuna,
                Family.cohort_year == request.cohort_year,
                Family.family_code.in_(codes),
            )
        )
        return {family.family_code: family for family in rows}

    async def _active_elsewhere(
        self, session: AsyncSession, checked: CheckedFile, existing: dict[str, Family]
    ) -> dict[str, str]:
        """RUNs of the file that belong to an active family other than their own."""
        runs = [p.run for draft in checked.families for p in draft.people]
        if not runs:
            return {}
        own = {family.id for family in existing.values()}
        found: dict[str, str] = {}
        for start in range(0, len(runs), 5000):
            rows = await session.execute(
                select(Member.run, Family.id, Family.family_code, Family.comuna)
                .join(Family, Member.family_id == Family.id)
                .where(Member.run.in_(runs[start : start + 5000]), Family.status == "active")
            )
            for run, family_id, code, comuna in rows:
                if family_id not in own:
                    found[run] = f"{code} ({comuna})"
        return found

    def _reject_people_active_elsewhere(
        self, checked: CheckedFile, elsewhere: dict[str, str]
    ) -> None:
        if not elsewhere:
            return
        keep: list[FamilyDraft] = []
        for draft in checked.families:
            clashes = [p for p in draft.people if p.run in elsewhere]
            if not clashes:
                keep.append(draft)
                continue
            errors = [
                RowError(
                    p.number,
                    "run",
                    mask_rut(p.run),
                    f"La persona ya participa activamente en otra familia: {elsewhere[p.run]}",
                    draft.code,
                )
                for p in clashes
            ]
            checked.errors.extend(errors)
            checked.rejected[draft.code] = errors
        checked.families = keep
        checked.errors.sort(key=lambda e: (e.line, e.column))

    async def _write(
        self,
        session: AsyncSession,
        request: ImportRequest,
        import_id: UUID,
        checked: CheckedFile,
        existing: dict[str, Family],
    ) -> tuple[list[tuple[UUID, str]], list[str], list[str]]:
        created: list[tuple[UUID, str]] = []
        updated: list[str] = []
        unchanged: list[str] = []
        families: list[dict[str, Any]] = []
        members: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        events: list[Envelope] = []
        latest = await self._latest_snapshots(session, [f.id for f in existing.values()])
        for draft in checked.families:
            state = snapshot(draft.people)
            family = existing.get(draft.code)
            if family is not None and latest.get(family.id) == state:
                unchanged.append(draft.code)
                continue
            choice = choose_representative(draft.people, request.today)
            if family is None:
                family_id = uuid4()
                created.append((family_id, draft.code))
                families.append(
                    {
                        "id": family_id,
                        "family_code": draft.code,
                        "comuna": request.comuna,
                        "cohort_year": request.cohort_year,
                        "status": "active",
                        "referred_on": request.today,
                        "created_by": request.actor,
                        "version": 1,
                        "last_import_id": import_id,
                        "representative_run": choice.run if choice else None,
                        "representative_reason": choice.reason if choice else None,
                        "representative_since": request.today if choice else None,
                    }
                )
                members += [_member_values(family_id, i, p) for i, p in enumerate(draft.people)]
                versions.append(
                    {
                        "id": uuid4(),
                        "family_id": family_id,
                        "version": 1,
                        "import_id": import_id,
                        "change": "creada",
                        "snapshot": state,
                        "created_by": request.actor,
                    }
                )
                events.append(
                    Envelope.wrap(
                        FamilyReferred(
                            family_id=family_id,
                            family_code=draft.code,
                            comuna=request.comuna,
                            cohort_year=request.cohort_year,
                            referred_on=request.today,
                            member_count=len(draft.people),
                        ),
                        producer=PRODUCER,
                        actor=request.actor,
                        family_id=family_id,
                    )
                )
            else:
                updated.append(draft.code)
                events += await self._update_family(
                    session, request, import_id, family, draft, state
                )
        await copy_rows(session, "families", families)
        await copy_rows(session, "members", members)
        await copy_rows(session, "family_versions", versions, json_columns=frozenset({"snapshot"}))
        await add_events(session, events)
        return created, updated, unchanged

    async def _latest_snapshots(
        self, session: AsyncSession, family_ids: list[UUID]
    ) -> dict[UUID, dict[str, Any]]:
        if not family_ids:
            return {}
        newest = (
            select(FamilyVersion.family_id, func.max(FamilyVersion.version).label("version"))
            .where(FamilyVersion.family_id.in_(family_ids))
            .group_by(FamilyVersion.family_id)
            .subquery()
        )
        rows = await session.execute(
            select(FamilyVersion.family_id, FamilyVersion.snapshot).join(
                newest,
                (FamilyVersion.family_id == newest.c.family_id)
                & (FamilyVersion.version == newest.c.version),
            )
        )
        return {family_id: state for family_id, state in rows}

    async def _update_family(
        self,
        session: AsyncSession,
        request: ImportRequest,
        import_id: UUID,
        family: Family,
        draft: FamilyDraft,
        state: dict[str, Any],
    ) -> list[Envelope]:
        """Members are matched by RUN so their ids survive a correction."""
        by_run = {m.run: m for m in family.members}
        wanted = {p.run for p in draft.people}
        gone = [m.id for m in family.members if m.run not in wanted]
        if gone:
            await session.execute(delete(Member).where(Member.id.in_(gone)))
        for position, person in enumerate(draft.people):
            values = _member_values(family.id, position, person)
            current = by_run.get(person.run)
            if current is None:
                await session.execute(insert(Member).values(**values))
            else:
                values.pop("id")
                await session.execute(
                    update(Member).where(Member.id == current.id).values(**values)
                )
        family.version += 1
        family.last_import_id = import_id
        changed_payee = False
        if family.representative_reason != "designado" or family.representative_run not in wanted:
            choice = choose_representative(draft.people, request.today)
            new_run = choice.run if choice else None
            if new_run != family.representative_run:
                family.representative_since = request.today
                changed_payee = new_run is not None
            family.representative_run = new_run
            family.representative_reason = choice.reason if choice else None
            family.representative_justification = None
        session.add(
            FamilyVersion(
                family_id=family.id,
                version=family.version,
                import_id=import_id,
                change="actualizada",
                snapshot=state,
                created_by=request.actor,
            )
        )
        await session.flush()
        await session.refresh(family, ["members"])
        events = [
            Envelope.wrap(
                FamilyUpdated(
                    family_id=family.id,
                    version=family.version,
                    member_count=len(draft.people),
                    import_id=import_id,
                ),
                producer=PRODUCER,
                actor=request.actor,
                family_id=family.id,
            )
        ]
        payee = next((m for m in family.members if m.run == family.representative_run), None)
        if changed_payee and payee is not None and family.representative_reason:
            events.append(
                Envelope.wrap(
                    RepresentativeChanged(
                        family_id=family.id,
                        member_id=payee.id,
                        reason=family.representative_reason,
                        effective_on=request.today,
                    ),
                    producer=PRODUCER,
                    actor=request.actor,
                    family_id=family.id,
                )
            )
        return events

    async def _assign(
        self, session: AsyncSession, request: ImportRequest, created: list[tuple[UUID, str]]
    ) -> tuple[dict[str, int], list[str]]:
        if not created:
            return {}, []
        capacities = await caseload_capacities(session, request.comuna, request.caseload_limit)
        plan = balance([family_id for family_id, _ in created], capacities)
        codes = dict(created)
        names = dict(
            (
                await session.execute(
                    select(Staff.id, Staff.full_name).where(
                        Staff.id.in_([c.staff_id for c in capacities])
                    )
                )
            ).all()
        )
        counts: dict[str, int] = {}
        unassigned: list[str] = []
        rows: list[dict[str, Any]] = []
        events: list[Envelope] = []
        for family_id, staff_id in plan.items():
            if staff_id is None:
                unassigned.append(codes[family_id])
                continue
            counts[names[staff_id]] = counts.get(names[staff_id], 0) + 1
            rows.append(
                {
                    "id": uuid4(),
                    "family_id": family_id,
                    "staff_id": staff_id,
                    "reason": "Asignación al importar la nómina (carga equilibrada)",
                    "assigned_by": request.actor,
                }
            )
            events.append(
                Envelope.wrap(
                    FamilyAssigned(
                        family_id=family_id,
                        staff_id=staff_id,
                        reason="Asignación al importar la nómina",
                    ),
                    producer=PRODUCER,
                    actor=request.actor,
                    family_id=family_id,
                )
            )
        if rows:
            await copy_rows(session, "assignments", rows)
            for staff_id in {row["staff_id"] for row in rows}:
                mine = [row["family_id"] for row in rows if row["staff_id"] == staff_id]
                await session.execute(
                    update(Family).where(Family.id.in_(mine)).values(apoyo_familiar_id=staff_id)
                )
            await add_events(session, events)
        return counts, unassigned

    def _summary(
        self,
        request: ImportRequest,
        checked: CheckedFile,
        *,
        created: list[tuple[UUID, str]],
        updated: list[str],
        unchanged: list[str],
    ) -> ImportSummary:
        return ImportSummary(
            filename=request.filename,
            comuna=request.comuna,
            cohort_year=request.cohort_year,
            rows=checked.rows,
            families_imported=sorted([code for _, code in created] + updated),
            families_created=sorted(code for _, code in created),
            families_updated=sorted(updated),
            families_unchanged=sorted(unchanged),
            families_rejected=sorted(checked.rejected),
            # The answer carries the first errors; the report download carries them all.
            errors=[
                NominaError.model_validate(asdict(e))
                for e in checked.errors[:MAX_ERRORS_IN_SUMMARY]
            ],
            error_count=len(checked.errors),
            warnings=list(checked.warnings),
        )

    async def _record_import(
        self,
        session: AsyncSession,
        request: ImportRequest,
        import_id: UUID,
        digest: str,
        status: str,
        checked: CheckedFile,
        summary: ImportSummary,
    ) -> None:
        session.add(
            NominaImport(
                id=import_id,
                comuna=request.comuna,
                cohort_year=request.cohort_year,
                filename=request.filename[:255],
                content_sha256=digest,
                accept_valid=request.accept_valid,
                status=status,
                rows=checked.rows,
                summary=summary.model_dump(mode="json"),
                errors=[asdict(e) for e in checked.errors],
                created_by=request.actor,
            )
        )
        await record_audit(
            session,
            actor=request.actor,
            action=f"nomina.{status}",
            entity="nomina_import",
            entity_id=import_id,
            errores=len(checked.errors),
        )


async def caseload_capacities(
    session: AsyncSession, comuna: str, default_limit: int
) -> list[Capacity]:
    """Every active Apoyo Familiar of the comuna with the active families they carry now."""
    load = (
        select(Family.apoyo_familiar_id, func.count().label("active"))
        .where(Family.status == "active", Family.apoyo_familiar_id.is_not(None))
        .group_by(Family.apoyo_familiar_id)
        .subquery()
    )
    rows = await session.execute(
        select(Staff.id, Staff.max_active_families, func.coalesce(load.c.active, 0))
        .outerjoin(load, load.c.apoyo_familiar_id == Staff.id)
        .where(Staff.role == AFI_ROLE, Staff.active.is_(True), Staff.comuna == comuna)
        .order_by(Staff.created_at, Staff.id)
    )
    return [
        Capacity(staff_id=staff_id, active=active, limit=limit or default_limit)
        for staff_id, limit, active in rows
    ]


nomina_importer = NominaImporter()
