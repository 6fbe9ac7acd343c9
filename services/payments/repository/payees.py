"""Payees: who receives each family's transfers, and how."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.models import Payee


async def get(session: AsyncSession, family_id: UUID, *, lock: bool = False) -> Payee | None:
    return await session.get(Payee, family_id, with_for_update=lock)


async def upsert_person(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert the payee, or replace it where it names another person (another RUN)."""
    changes = {key: value for key, value in values.items() if key != "family_id"}
    await session.execute(
        insert(Payee)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[Payee.family_id], set_=changes, where=Payee.run != values["run"]
        )
    )


async def families_by_run(session: AsyncSession, runs: Collection[str]) -> dict[str, UUID]:
    if not runs:
        return {}
    return {
        p.run: p.family_id for p in await session.scalars(select(Payee).where(Payee.run.in_(runs)))
    }
