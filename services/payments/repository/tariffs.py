"""The tariff rows in the database: the packaged file's and administrators' uploads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import TariffRecord


async def all_rows(session: AsyncSession) -> Sequence[TariffRecord]:
    return (
        await session.scalars(
            select(TariffRecord).order_by(
                TariffRecord.concept, TariffRecord.tranche, TariffRecord.effective_from
            )
        )
    ).all()


async def add(
    session: AsyncSession, rows: list[dict[str, Any]], *, keep_existing: bool = False
) -> None:
    statement = insert(TariffRecord).values(rows)
    await session.execute(statement.on_conflict_do_nothing() if keep_existing else statement)
