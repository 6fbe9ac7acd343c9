"""Bulk writes with PostgreSQL's COPY, inside the session's own transaction.

An ORM `insert()` of thousands of rows spends most of its time in Python building
statements; COPY streams the rows in binary instead (bench/RESULTS.md, nómina import).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

COPY_THRESHOLD = 200  # below this, a plain INSERT is as fast and simpler to read in logs


async def copy_rows(
    session: AsyncSession,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    json_columns: frozenset[str] = frozenset(),
) -> None:
    """COPY `rows` (dicts with the same keys) into `table`, in the current transaction."""
    if not rows:
        return
    columns = list(rows[0])
    records = [
        tuple(
            json.dumps(row[c], ensure_ascii=False, default=str) if c in json_columns else row[c]
            for c in columns
        )
        for row in rows
    ]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table, records=records, columns=columns)
