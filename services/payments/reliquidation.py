"""*Reliquidación*: what months already registered are owed after a late tariff row.

A law published after the months it applies to (the SUF laws of 2024 and 2025 were) makes
the amount recorded for those months too low. For every registered Bono de Protección the
amount in force *now* for its paid month and plan month is compared with what was recorded
plus any difference already granted; the gap is the reliquidación. It is computed in SQL
per tariff interval, not family by family. Whether it is paid is a policy setting
(`FAMILIAS_PAYMENTS_PAY_RELIQUIDATION`): when it is, `apply` records each gap as an
entitlement of concept `reliquidacion` for the same month, with its order and ledger
entries, paid by the next cycle. A tariff lowered late is shown, never taken back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.entitlements import entitlement_service, new_entitlement
from services.payments.repository import reliquidation as repository
from services.payments.tariff_store import tariff_service
from services.payments.tariffs import TariffRow, parse_tariffs
from shared.db.audit import record_audit
from shared.errors import Conflict

CONCEPT = "reliquidacion"


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


@dataclass(frozen=True)
class TariffsLoaded:
    """An upload's new rows, and the reliquidación they leave behind (months, amount)."""

    added: int
    months: int
    amount: int


class ReliquidationService:
    async def gaps(self, session: AsyncSession) -> list[Gap]:
        """Every registered month whose tariff in force now says another amount."""
        intervals = _intervals(await tariff_service.current(session))
        return [Gap(**row._mapping) for row in await repository.gaps(session, intervals)]

    async def load_tariffs(
        self, session: AsyncSession, content: str, *, actor: str
    ) -> TariffsLoaded:
        """Add an uploaded tariff file's new rows and say what reliquidación they leave."""
        added = await tariff_service.add(
            session, parse_tariffs(content, "archivo cargado"), actor=actor
        )
        found = await self.gaps(session)
        return TariffsLoaded(len(added), len(found), sum(g.gap for g in found if g.gap > 0))

    async def apply(self, session: AsyncSession, *, pays: bool, actor: str) -> tuple[int, int]:
        """Record the positive gaps for the next cycle, when the policy pays them.

        Returns (granted, left for review). A month that already had a difference granted
        and needs another (a second late law) is left for the payments officer: the order
        for (family, month, reliquidacion) exists and may already be paid.
        """
        if not pays:
            raise Conflict(
                "La política vigente no paga reliquidaciones "
                "(FAMILIAS_PAYMENTS_PAY_RELIQUIDATION=false): las diferencias se muestran, "
                "no se pagan"
            )
        owed = [g for g in await self.gaps(session) if g.gap > 0]
        fresh = [g for g in owed if not g.granted]
        await entitlement_service.record(
            session,
            [
                new_entitlement(
                    g.family_id,
                    g.period,
                    CONCEPT,
                    g.gap,
                    source=g.source,
                    plan_month=g.plan_month,
                    tranche=g.tranche,
                )
                for g in fresh
            ],
        )
        granted, review = len(fresh), len(owed) - len(fresh)
        await record_audit(
            session,
            actor=actor,
            action="reliquidacion_aplicada",
            entity="reliquidacion",
            entity_id="-",
            registradas=granted,
            por_revisar=review,
        )
        return granted, review


reliquidation_service = ReliquidationService()
