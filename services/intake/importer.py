"""Importing a nómina: atomic per file, idempotent by content, versioned per family.

One transaction holds everything a file changes — families, members, versions,
representatives, assignments, events and the import record — so a file is imported
whole or not at all, and its events reach the bus only if it commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.caseload import balance
from services.intake.events import envelope
from services.intake.models import Family, FamilyVersion, NominaImport
from services.intake.nomina.reader import read_nomina
from services.intake.nomina.validate import (
    CheckedFile,
    FamilyDraft,
    PersonRow,
    RowError,
    check_rows,
)
from services.intake.repository import families, staff
from services.intake.repository import nominas as repository
from services.intake.representative import choose_representative
from services.intake.schemas import (
    ImportSummary,
    NominaError,
    NominaImportOut,
    NominaImportRecord,
)
from services.intake.versions import snapshot
from shared.contracts.envelope import Envelope
from shared.contracts.intake import (
    FamilyAssigned,
    FamilyReferred,
    FamilyUpdated,
    RepresentativeChanged,
)
from shared.db.audit import record_audit
from shared.db.outbox import add_events
from shared.errors import Conflict, NotFound
from shared.rut import mask_rut
from shared.tabular import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx

MAX_ERRORS_IN_SUMMARY = 1000
ERROR_HEADERS = ("Fila", "Columna", "Valor (enmascarado)", "Motivo", "ID familia")

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


@dataclass(frozen=True)
class ErrorReport:
    content: bytes
    media_type: str
    filename: str


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
        # One import at a time per comuna and year: versions and caseloads stay consistent.
        await repository.lock_comuna_year(session, request.comuna, request.cohort_year)
        try:
            return await self._import(session, request)
        except IntegrityError as exc:
            raise Conflict("Este archivo se está importando en este momento; reintente") from exc

    async def record(self, session: AsyncSession, import_id: UUID) -> NominaImportRecord:
        found = await self._get(session, import_id)
        return NominaImportRecord(
            **stored_summary(found.summary).model_dump(),
            import_id=found.id,
            status=found.status,
            recorded_by=found.created_by,
            recorded_at=found.created_at,
        )

    async def error_report(
        self, session: AsyncSession, import_id: UUID, file_format: Literal["csv", "xlsx"]
    ) -> ErrorReport:
        """Every error of the import, masked, as a file a person opens in Excel."""
        found = await self._get(session, import_id)
        errors = [stored_error(error) for error in found.errors]
        rows = [[e.line, e.column, e.value, e.reason, e.family_code] for e in errors]
        stem = f"errores-nomina-{found.comuna}-{found.cohort_year}-{str(found.id)[:8]}"
        safe_stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)
        if file_format == "xlsx":
            content = to_xlsx(ERROR_HEADERS, rows, title="Errores")
            return ErrorReport(content, XLSX_MEDIA_TYPE, f"{safe_stem}.xlsx")
        return ErrorReport(to_csv(ERROR_HEADERS, rows), CSV_MEDIA_TYPE, f"{safe_stem}.csv")

    async def _get(self, session: AsyncSession, import_id: UUID) -> NominaImport:
        found = await repository.get_import(session, import_id)
        if found is None:
            raise NotFound("No existe esa importación de nómina")
        return found

    async def _import(self, session: AsyncSession, request: ImportRequest) -> NominaImportOut:
        digest = content_hash(request.content)
        previous = await repository.imported_with_content(
            session, request.comuna, request.cohort_year, digest
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
        existing = await families.by_codes(
            session,
            request.comuna,
            request.cohort_year,
            [draft.code for draft in checked.families],
        )
        self._reject_people_active_elsewhere(
            checked, await self._active_elsewhere(session, checked, existing)
        )
        import_id = uuid4()
        if checked.errors and not request.accept_valid:
            summary = self._summary(request, checked, created=[], updated=[], unchanged=[])
            self._add_import(session, request, import_id, digest, "rechazada", checked)
            await self._record_outcome(session, import_id, summary, checked)
            await self._audit(
                session, request, import_id, "nomina.rechazada", errores=len(checked.errors)
            )
            return NominaImportOut(**summary.model_dump(), import_id=import_id, status="rechazada")
        # The import row first: families and versions refer to it.
        self._add_import(session, request, import_id, digest, "importada", checked)
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
        await self._record_outcome(session, import_id, summary, checked)
        await self._audit(
            session,
            request,
            import_id,
            "nomina.importada",
            nuevas=len(created),
            actualizadas=len(updated),
            rechazadas=len(checked.rejected),
        )
        return NominaImportOut(**summary.model_dump(), import_id=import_id, status="importada")

    async def _active_elsewhere(
        self, session: AsyncSession, checked: CheckedFile, existing: dict[str, Family]
    ) -> dict[str, str]:
        """RUNs of the file that belong to an active family other than their own."""
        runs = [p.run for draft in checked.families for p in draft.people]
        if not runs:
            return {}
        own = {family.id for family in existing.values()}
        return {
            run: f"{code} ({comuna})"
            for run, family_id, code, comuna in await families.active_memberships(session, runs)
            if family_id not in own
        }

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
        new_families: list[dict[str, Any]] = []
        members: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        events: list[Envelope] = []
        latest = await families.latest_snapshots(session, [f.id for f in existing.values()])
        for draft in checked.families:
            state = snapshot(draft.people)
            family = existing.get(draft.code)
            if family is not None and latest.get(family.id) == state:
                unchanged.append(draft.code)
                continue
            if family is not None:
                updated.append(draft.code)
                events += await self._update_family(
                    session, request, import_id, family, draft, state
                )
                continue
            choice = choose_representative(draft.people, request.today)
            family_id = uuid4()
            created.append((family_id, draft.code))
            new_families.append(
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
                envelope(
                    FamilyReferred(
                        family_id=family_id,
                        family_code=draft.code,
                        comuna=request.comuna,
                        cohort_year=request.cohort_year,
                        referred_on=request.today,
                        member_count=len(draft.people),
                    ),
                    actor=request.actor,
                )
            )
        await families.copy_new_families(session, new_families, members, versions)
        await add_events(session, events)
        return created, updated, unchanged

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
        await families.delete_members(
            session, [m.id for m in family.members if m.run not in wanted]
        )
        for position, person in enumerate(draft.people):
            values = _member_values(family.id, position, person)
            current = by_run.get(person.run)
            if current is None:
                await families.insert_member(session, values)
            else:
                values.pop("id")
                await families.update_member(session, current.id, values)
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
            envelope(
                FamilyUpdated(
                    family_id=family.id,
                    version=family.version,
                    member_count=len(draft.people),
                    import_id=import_id,
                ),
                actor=request.actor,
            )
        ]
        payee = family.representative
        if changed_payee and payee is not None and family.representative_reason:
            events.append(
                envelope(
                    RepresentativeChanged(
                        family_id=family.id,
                        member_id=payee.id,
                        reason=family.representative_reason,
                        effective_on=request.today,
                    ),
                    actor=request.actor,
                )
            )
        return events

    async def _assign(
        self, session: AsyncSession, request: ImportRequest, created: list[tuple[UUID, str]]
    ) -> tuple[dict[str, int], list[str]]:
        if not created:
            return {}, []
        capacities = await staff.caseload_capacities(
            session, request.comuna, request.caseload_limit
        )
        plan = balance([family_id for family_id, _ in created], capacities)
        codes = dict(created)
        names = await staff.names(session, [c.staff_id for c in capacities])
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
                envelope(
                    FamilyAssigned(
                        family_id=family_id,
                        staff_id=staff_id,
                        reason="Asignación al importar la nómina",
                    ),
                    actor=request.actor,
                )
            )
        if rows:
            await families.copy_assignments(session, rows)
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

    def _add_import(
        self,
        session: AsyncSession,
        request: ImportRequest,
        import_id: UUID,
        digest: str,
        status: str,
        checked: CheckedFile,
    ) -> None:
        """The import's record, its outcome written once known (`_record_outcome`)."""
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
                summary={},
                errors=[],
                created_by=request.actor,
            )
        )

    async def _record_outcome(
        self,
        session: AsyncSession,
        import_id: UUID,
        summary: ImportSummary,
        checked: CheckedFile,
    ) -> None:
        """The summary as answered, and every error for the report download."""
        await repository.record_outcome(
            session,
            import_id,
            summary.model_dump(mode="json"),
            [asdict(e) for e in checked.errors],
        )

    async def _audit(
        self,
        session: AsyncSession,
        request: ImportRequest,
        import_id: UUID,
        action: str,
        **details: Any,
    ) -> None:
        await record_audit(
            session,
            actor=request.actor,
            action=action,
            entity="nomina_import",
            entity_id=import_id,
            **details,
        )


nomina_importer = NominaImporter()
