"""Tariffs in the database: loadable by an administrator without a deploy.

At start the packaged `tarifas.csv` is merged in (rows already there are kept). An
administrator uploads a file in the same format (`POST /v1/tariffs`): it is validated
whole, new rows are added, and a row that would change a published one is refused — a new
law is a new row. Registering an entitlement reads the rows in force from here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import TariffRecord
from services.payments.tariffs import TariffRow, load_tariffs
from shared.db.audit import record_audit
from shared.errors import Conflict


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


async def merge_packaged(session: AsyncSession) -> None:
    rows = [_values(row, "paquete") for row in load_tariffs()]
    await session.execute(insert(TariffRecord).values(rows).on_conflict_do_nothing())


async def current_tariffs(session: AsyncSession) -> list[TariffRow]:
    records = await session.scalars(
        select(TariffRecord).order_by(
            TariffRecord.concept, TariffRecord.tranche, TariffRecord.effective_from
        )
    )
    return [
        TariffRow(r.concept, r.tranche, r.effective_from, r.published_at, r.amount, r.source)
        for r in records
    ]


async def add_tariffs(session: AsyncSession, rows: list[TariffRow], actor: str) -> list[TariffRow]:
    """Add the file's new rows; identical rows are skipped; a changed published row refused."""
    existing = {(r.concept, r.tranche, r.effective_from): r for r in await current_tariffs(session)}
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
        await session.execute(insert(TariffRecord).values([_values(r, actor) for r in added]))
        await record_audit(
            session,
            actor=actor,
            action="tarifas_cargadas",
            entity="tarifa",
            entity_id="-",
            filas=[f"{r.concept}:{r.tranche}:{r.effective_from}:{r.amount}" for r in added],
        )
    return added
