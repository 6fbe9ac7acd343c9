"""*Reliquidación*: the gap between what was recorded and what the tariffs in force say."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

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


async def gaps(session: AsyncSession, intervals: dict[str, list[Any]]) -> Sequence[Any]:
    """Every registered Bono de Protección whose tariff interval now says another amount."""
    return (await session.execute(GAPS, intervals)).all()
