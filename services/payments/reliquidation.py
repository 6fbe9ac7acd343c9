"""*Reliquidación*: what months already registered are owed after a late tariff row.

A law published after the months it applies to (the SUF laws of 2024 and 2025 were) makes
the amount recorded for those months too low. For every registered Bono de Protección the
amount in force *now* for its paid month and plan month is compared with what was recorded
plus any difference already granted; the gap is the reliquidación. It is computed in SQL
per tariff interval, not family by family. Whether it is paid is a policy setting
(`FAMILIAS_PAYMENTS_PAY_RELIQUIDATION`): when it is, `grant` records each gap as an
entitlement of concept `reliquidacion` for the same month, with its order and ledger
entries, paid by the next cycle. A tariff lowered late is shown, never taken back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.entitlements import record_entitlements
from services.payments.models import Entitlement
from services.payments.tariffs import TariffRow

CONCEPT = "reliquidacion"

GAPS = text(
    """
    WITH intervals AS (
        SELECT * FROM unnest(CAST(:tranches AS int[]), CAST(:starts AS date[]),
                             CAST(:ends AS date[]), CAST(:amounts AS bigint[]),
                             CAST(:sources AS text[]))
            AS t(tranche, starts, ends, amount, source)
    ), owed AS (
        SELECT e.family_id, e.period, e.plan_month, e.tranche, e.amount AS recorded,
               i.amount AS in_force, i.source,
               coalesce(r.amount, 0) AS granted
        FROM entitlements e
        JOIN intervals i ON i.tranche = e.tranche AND e.period >= i.starts AND e.period < i.ends
        LEFT JOIN entitlements r ON r.family_id = e.family_id AND r.period = e.period
             AND r.concept = 'reliquidacion'
        WHERE e.concept = 'bono_proteccion'
    )
    SELECT family_id, period, plan_month, tranche, recorded, granted, in_force, source,
           in_force - recorded - granted AS gap
    FROM owed WHERE in_force <> recorded + granted
    ORDER BY period, family_id
    """
)


@dataclass(frozen=True)
class Gap:
    family_id: UUID
    period: date
    plan_month: int
    tranche: int
    recorded: int
    granted: int
    in_force: int
    source: str
    gap: int


def _intervals(tariffs: list[TariffRow]) -> dict[str, list[Any]]:
    """Each row's months in force: from its date to the next row's (same tranche)."""
    columns: dict[str, list[Any]] = {
        k: [] for k in ("tranches", "starts", "ends", "amounts", "sources")
    }
    by_tranche: dict[int, list[TariffRow]] = {}
    for row in tariffs:
        by_tranche.setdefault(row.tranche, []).append(row)
    for tranche, rows in by_tranche.items():
        rows.sort(key=lambda r: r.effective_from)
        for index, row in enumerate(rows):
            end = rows[index + 1].effective_from if index + 1 < len(rows) else date(9999, 1, 1)
            columns["tranches"].append(tranche)
            columns["starts"].append(row.effective_from)
            columns["ends"].append(end)
            columns["amounts"].append(row.amount)
            columns["sources"].append(row.source)
    return columns


async def gaps(session: AsyncSession, tariffs: list[TariffRow]) -> list[Gap]:
    rows = (await session.execute(GAPS, _intervals(tariffs))).all()
    return [Gap(**row._mapping) for row in rows]


async def grant(session: AsyncSession, found: list[Gap]) -> tuple[int, int]:
    """Record positive gaps as entitlements with their orders, for the next cycle.

    Returns (granted, left for review). A month that already had a difference granted and
    needs another (a second late law) is left for the payments officer: the order for
    (family, month, reliquidacion) exists and may already be paid.
    """
    owed = [g for g in found if g.gap > 0]
    fresh = [g for g in owed if not g.granted]
    await record_entitlements(
        session,
        [
            Entitlement(
                family_id=g.family_id,
                period=g.period,
                concept=CONCEPT,
                plan_month=g.plan_month,
                tranche=g.tranche,
                amount=g.gap,
                tariff_effective_from=g.period,
                tariff_source=g.source[:200],
            )
            for g in fresh
        ],
    )
    return len(fresh), len(owed) - len(fresh)
