"""Bonuses that arrive from outside: the ministry reports them, payments pays them.

Asistencia Escolar, Logro Escolar, Formalización laboral, Graduación de 4° medio need data
the municipality does not own (DOMAIN.md §3), so they are not computed here: the payments
officer imports the ministry's file. Control Niño Sano is accredited at the municipality
and staff load their accreditations the same way. Each row names the representative's RUT
(the payee payments knows), the month, the concept and the amount; the file is applied
whole or not at all, every bad row reported with its line, and importing the same file
again changes nothing (an entitlement is unique per family, month and concept).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.entitlements import entitlement_service, new_entitlement
from services.payments.labels import BONUS_CONCEPTS as CONCEPTS
from services.payments.periods import parse_period
from services.payments.repository import entitlements, payees
from shared.db.audit import record_audit
from shared.errors import ValidationFailed
from shared.rut import mask_rut, normalize_rut

COLUMNS = ("run", "mes", "concepto", "monto", "fuente")
MAX_ROWS = 200_000


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str


@dataclass(frozen=True)
class BonusRow:
    line: int
    run: str
    period: date
    concept: str
    amount: int
    source: str


def parse(content: str) -> tuple[list[BonusRow], list[RowError]]:
    first = content.splitlines()[0] if content.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(content), delimiter=delimiter)
    headers = {(h or "").strip().lower() for h in reader.fieldnames or []}
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        return [], [RowError(1, ", ".join(missing), "faltan columnas")]
    rows: list[BonusRow] = []
    errors: list[RowError] = []
    for line, raw in enumerate(reader, start=2):
        if line > MAX_ROWS + 1:
            errors.append(RowError(line, "-", f"el archivo supera {MAX_ROWS} filas"))
            break
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            run = normalize_rut(record["run"])
        except Exception:  # ValidationFailed with the Spanish reason
            errors.append(RowError(line, "run", "RUT inválido"))
            continue
        try:
            period = parse_period(record["mes"])
        except ValueError:  # ValidationFailed is one
            errors.append(RowError(line, "mes", "mes no válido: use AAAA-MM"))
            continue
        concept = record["concepto"].lower()
        if concept not in CONCEPTS:
            errors.append(RowError(line, "concepto", f"concepto desconocido: {concept[:40]}"))
            continue
        amount_text = record["monto"].replace(".", "")
        if not amount_text.isdigit() or int(amount_text) <= 0:
            errors.append(RowError(line, "monto", "monto no válido: pesos enteros, mayor que 0"))
            continue
        if not record["fuente"]:
            errors.append(RowError(line, "fuente", "falta la fuente (oficio, resolución…)"))
            continue
        rows.append(BonusRow(line, run, period, concept, int(amount_text), record["fuente"][:200]))
    return rows, errors


@dataclass(frozen=True)
class BonusImport:
    registered: int
    already_registered: int


class BonusService:
    async def import_file(self, session: AsyncSession, content: str, *, actor: str) -> BonusImport:
        """Apply a bonus file whole or not at all: a file with any bad row registers
        nothing, and the refusal lists every bad row (the first 1,000) with its line."""
        rows, problems = parse(content)
        registered, skipped, problems = await self._import(session, rows, actor, problems)
        if problems:
            raise ValidationFailed(
                f"El archivo tiene {len(problems)} filas con errores; no se registró ningún bono",
                errors=[
                    {"line": p.line, "column": p.column, "reason": p.reason}
                    for p in problems[:1000]
                ],
                error_count=len(problems),
            )
        return BonusImport(registered, skipped)

    async def _import(
        self, session: AsyncSession, rows: list[BonusRow], actor: str, errors: list[RowError]
    ) -> tuple[int, int, list[RowError]]:
        """Returns (registered, already there, every error by line).

        `errors` are the file's own (format) errors: the rows that parsed are still checked
        against what payments knows, so the officer gets the whole list in one answer.
        """
        errors = list(errors)
        families = await payees.families_by_run(session, {r.run for r in rows})
        fresh: list[tuple[BonusRow, UUID]] = []
        seen: set[tuple[UUID, date, str]] = set()
        skipped = 0
        for row in rows:
            family_id = families.get(row.run)
            if family_id is None:
                errors.append(
                    RowError(row.line, "run", f"{mask_rut(row.run)} no es titular de pagos")
                )
                continue
            key = (family_id, row.period, row.concept)
            if key in seen:
                errors.append(RowError(row.line, "concepto", "fila repetida en el archivo"))
                continue
            seen.add(key)
            existing = await entitlements.find(session, family_id, row.period, row.concept)
            if existing is not None:
                if existing.amount != row.amount:
                    errors.append(
                        RowError(row.line, "monto", f"ya registrado por {existing.amount} pesos")
                    )
                else:
                    skipped += 1
                continue
            if row.concept == "control_nino_sano" and not await _receives_both(
                session, family_id, row.period
            ):
                errors.append(
                    RowError(
                        row.line,
                        "concepto",
                        "Control Niño Sano requiere Bono de Protección y Base Familiar en ese mes",
                    )
                )
                continue
            fresh.append((row, family_id))
        if errors:
            return 0, skipped, sorted(errors, key=lambda e: e.line)
        orders = await entitlement_service.record(
            session,
            # Not tied to a plan month (plan month and tranche 0): the ministry's own calendar.
            [
                new_entitlement(family_id, row.period, row.concept, row.amount, source=row.source)
                for row, family_id in fresh
            ],
        )
        if orders:
            await record_audit(
                session,
                actor=actor,
                action="bonos_importados",
                entity="bono",
                entity_id="-",
                registrados=len(orders),
                ya_registrados=skipped,
            )
        return len(orders), skipped, []


async def _receives_both(session: AsyncSession, family_id: UUID, period: date) -> bool:
    """Control Niño Sano is paid only to families receiving Protección and Base Familiar."""
    both = ("bono_proteccion", "bono_base_familiar")
    return len(await entitlements.concepts_in_month(session, family_id, period, both)) == 2


bonus_service = BonusService()
