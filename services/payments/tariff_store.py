"""Tariffs in the database: loadable by an administrator without a deploy.

At start the packaged `tarifas.csv` is merged in (rows already there are kept). An
administrator uploads a file in the same format (`POST /v1/tariffs`): it is validated
whole, new rows are added, and a row that would change a published one is refused — a new
law is a new row. Registering an entitlement reads the rows in force from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.repository import tariffs as repository
from services.payments.tariffs import (
    BASE_THRESHOLD,
    MonthAmount,
    TariffRow,
    base_familiar_amount,
    load_tariffs,
    schedule,
)
from shared.db.audit import record_audit
from shared.errors import Conflict

NO_THRESHOLD = (
    "No hay umbral del Bono Base Familiar cargado: el administrador lo carga como "
    "tarifa (concepto base_umbral, tramo 0) con su vigencia y fuente"
)


@dataclass(frozen=True)
class Calendar:
    months: list[MonthAmount]
    notes: list[str]

    @property
    def total(self) -> int:
        return sum(m.amount for m in self.months)


def _values(row: TariffRow, loaded_by: str) -> dict[str, object]:
    return {
        "concept": row.concept,
        "tranche": row.tranche,
        "effective_from": row.effective_from,
        "published_at": row.published_at,
        "amount": row.amount,
        "source": row.source,
        "loaded_by": loaded_by,
    }


class TariffService:
    async def merge_packaged(self, session: AsyncSession) -> None:
        rows = [_values(row, "paquete") for row in load_tariffs()]
        await repository.add(session, rows, keep_existing=True)

    async def current(self, session: AsyncSession) -> list[TariffRow]:
        return [
            TariffRow(r.concept, r.tranche, r.effective_from, r.published_at, r.amount, r.source)
            for r in await repository.all_rows(session)
        ]

    async def add(
        self, session: AsyncSession, rows: list[TariffRow], *, actor: str
    ) -> list[TariffRow]:
        """Add the file's new rows; identical rows are skipped; a changed published row refused."""
        existing = {
            (r.concept, r.tranche, r.effective_from): r for r in await self.current(session)
        }
        added: list[TariffRow] = []
        for row in rows:
            known = existing.get((row.concept, row.tranche, row.effective_from))
            if known is None:
                added.append(row)
            elif (known.amount, known.published_at) != (row.amount, row.published_at):
                raise Conflict(
                    f"La tarifa {row.concept} tramo {row.tranche} vigente desde "
                    f"{row.effective_from:%m-%Y} ya está publicada con otro monto o fecha: una "
                    "tarifa publicada no se modifica; agregue una fila nueva con su vigencia"
                )
        if added:
            await repository.add(session, [_values(r, actor) for r in added])
            await record_audit(
                session,
                actor=actor,
                action="tarifas_cargadas",
                entity="tarifa",
                entity_id="-",
                filas=[f"{r.concept}:{r.tranche}:{r.effective_from}:{r.amount}" for r in added],
            )
        return added

    async def calendar(
        self,
        session: AsyncSession,
        first_month: date,
        *,
        income_per_capita: int | None = None,
        member_count: int = 1,
    ) -> Calendar:
        """The 24 months a family would receive from its first payment: the Bono de
        Protección, and the Bono Base Familiar too when its income is given."""
        tariffs = await self.current(session)
        months = schedule(tariffs, first_month)
        if income_per_capita is None:
            return Calendar(months, [])
        notes = [] if any(t.concept == BASE_THRESHOLD for t in tariffs) else [NO_THRESHOLD]
        base = [
            base_familiar_amount(tariffs, m.period, m.plan_month, income_per_capita, member_count)
            for m in months
        ]
        months = sorted(
            [*months, *(b for b in base if b is not None)],
            key=lambda m: (m.period, m.concept != "bono_proteccion"),
        )
        return Calendar(months, notes)


tariff_service = TariffService()
