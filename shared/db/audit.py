"""Writing the audit log: in the same transaction as the change it records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import column, insert, table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

audit_table = table(
    "audit_log",
    column("actor"),
    column("action"),
    column("entity"),
    column("entity_id"),
    column("details", JSONB),
)


async def record_audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    **details: Any,
) -> None:
    """Details must never hold a full RUT, name or address: refer to records by id."""
    await session.execute(
        insert(audit_table).values(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            details=details,
        )
    )
