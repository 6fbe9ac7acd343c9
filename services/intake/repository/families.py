"""SQL on families, their members, versions and assignments, and nothing else."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import Assignment, Family, FamilyVersion, Member
from shared.db.bulk import copy_rows

# Accents the name search ignores; upper-case too because lower() under the C collation
# leaves non-ASCII letters as they are.
_ACCENTED = "áéíóúüñàèìòùÁÉÍÓÚÜÑÀÈÌÒÙ"
_PLAIN = "aeiouunaeiouaeiouunaeiou"
# Bind parameters per statement stay far below PostgreSQL's 32,767.
_RUNS_PER_QUERY = 5000


async def get_family(
    session: AsyncSession, family_id: UUID, *, for_update: bool = False
) -> Family | None:
    return await session.get(Family, family_id, with_for_update=True if for_update else None)


async def find_by_code(
    session: AsyncSession, comuna: str, cohort_year: int, family_code: str
) -> Family | None:
    return await session.scalar(
        select(Family).where(
            Family.comuna == comuna,
            Family.cohort_year == cohort_year,
            Family.family_code == family_code,
        )
    )


async def by_codes(
    session: AsyncSession, comuna: str, cohort_year: int, codes: Sequence[str]
) -> dict[str, Family]:
    if not codes:
        return {}
    rows = await session.scalars(
        select(Family).where(
            Family.comuna == comuna,
            Family.cohort_year == cohort_year,
            Family.family_code.in_(codes),
        )
    )
    return {family.family_code: family for family in rows}


async def families_with_member(session: AsyncSession, run: str) -> Sequence[Family]:
    return (
        await session.scalars(
            select(Family)
            .join(Member, Member.family_id == Family.id)
            .where(Member.run == run)
            .order_by(Family.created_at.desc())
        )
    ).all()


def _folded(text: str) -> str:
    """Lower case without accents, as the SQL side folds the stored names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def search(session: AsyncSession, text: str, limit: int) -> Sequence[Family]:
    """Families with a member whose full name contains `text` (case and accent blind), or
    whose nómina code is `text`; wildcards in `text` match only themselves."""
    literal = _folded(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    full_name = func.concat_ws(
        " ", Member.given_names, Member.paternal_surname, Member.maternal_surname
    )
    folded = func.translate(func.lower(full_name), _ACCENTED, _PLAIN)
    ids = (
        select(Member.family_id)
        .where(folded.like(f"%{literal}%", escape="\\"))
        .union(select(Family.id).where(func.lower(Family.family_code) == text.lower()))
    )
    return (
        await session.scalars(
            select(Family)
            .where(Family.id.in_(ids))
            .order_by(Family.cohort_year.desc(), Family.family_code)
            .limit(limit)
        )
    ).all()


async def active_families_of(session: AsyncSession, runs: Sequence[str]) -> dict[str, Family]:
    rows = await session.execute(
        select(Member.run, Family)
        .join(Family, Member.family_id == Family.id)
        .where(Member.run.in_(runs), Family.status == "active")
    )
    return {run: family for run, family in rows}


async def active_memberships(
    session: AsyncSession, runs: Sequence[str]
) -> list[tuple[str, UUID, str, str]]:
    """(run, family id, family code, comuna) of each RUN's active families."""
    found: list[tuple[str, UUID, str, str]] = []
    for start in range(0, len(runs), _RUNS_PER_QUERY):
        rows = await session.execute(
            select(Member.run, Family.id, Family.family_code, Family.comuna)
            .join(Family, Member.family_id == Family.id)
            .where(Member.run.in_(runs[start : start + _RUNS_PER_QUERY]), Family.status == "active")
        )
        found += [(run, family_id, code, comuna) for run, family_id, code, comuna in rows]
    return found


async def versions_of(session: AsyncSession, family_id: UUID) -> Sequence[FamilyVersion]:
    return (
        await session.scalars(
            select(FamilyVersion)
            .where(FamilyVersion.family_id == family_id)
            .order_by(FamilyVersion.version)
        )
    ).all()


async def latest_snapshots(
    session: AsyncSession, family_ids: Sequence[UUID]
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


async def copy_new_families(
    session: AsyncSession,
    families: list[dict[str, Any]],
    members: list[dict[str, Any]],
    versions: list[dict[str, Any]],
) -> None:
    """A nómina's new families in bulk (COPY), each with its members and first version."""
    await copy_rows(session, "families", families)
    await copy_rows(session, "members", members)
    await copy_rows(session, "family_versions", versions, json_columns=frozenset({"snapshot"}))


async def delete_members(session: AsyncSession, member_ids: Sequence[UUID]) -> None:
    if member_ids:
        await session.execute(delete(Member).where(Member.id.in_(member_ids)))


async def insert_member(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(Member).values(**values))


async def update_member(session: AsyncSession, member_id: UUID, values: dict[str, Any]) -> None:
    await session.execute(update(Member).where(Member.id == member_id).values(**values))


async def end_assignment(session: AsyncSession, family_id: UUID) -> None:
    """The family's current Apoyo Familiar, if any, stops accompanying it now."""
    await session.execute(
        update(Assignment)
        .where(Assignment.family_id == family_id, Assignment.ended_at.is_(None))
        .values(ended_at=func.now())
    )


async def copy_assignments(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """New families' first assignments in bulk, and each family's Apoyo Familiar with them."""
    await copy_rows(session, "assignments", rows)
    for staff_id in {row["staff_id"] for row in rows}:
        mine = [row["family_id"] for row in rows if row["staff_id"] == staff_id]
        await session.execute(
            update(Family).where(Family.id.in_(mine)).values(apoyo_familiar_id=staff_id)
        )
