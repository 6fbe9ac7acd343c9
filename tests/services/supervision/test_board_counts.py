"""The dashboard's counts give the numbers the listing of every family gives.

A small known set of running FamilyLifecycle executions, in a comuna of their own, started
with the search attributes the workflow upserts on a task queue no worker polls (they
stay running exactly as they were started), then terminated. Deadlines are set around the
tests' fixed instant, and the board is read as of that instant.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from services.supervision.web import board
from services.supervision.web.board import BoardFilter, unit_board, unit_board_by_listing
from shared.contracts import search
from shared.contracts.lifecycle import WORKFLOW_TYPE, family_workflow_id
from shared.settings import Settings
from shared.temporal import connect_temporal
from tests.support.clock import NOW
from tests.support.waiting import eventually

PHASES = ("contacto", "diagnostico", "plan", "acompanamiento", "evaluacion")


@pytest.fixture
async def families(settings: Settings) -> AsyncIterator[tuple[Client, str, list[str]]]:
    """22 families: every phase, months 1–26, two professionals and none, 12 overdue."""
    client = await connect_temporal(settings)
    comuna = f"Tablero {uuid.uuid4().hex[:8]}"
    professionals = [f"afi-{uuid.uuid4().hex[:6]}", f"afi-{uuid.uuid4().hex[:6]}"]
    handles = []
    for n in range(22):
        pairs: list[SearchAttributePair[Any]] = [
            SearchAttributePair(search.COMUNA, comuna),
            SearchAttributePair(search.COHORT_YEAR, 2024 + n % 2),
        ]
        if n != 21:  # one not yet upserted: counted in derivación, as the listing does
            pairs.append(SearchAttributePair(search.PHASE, PHASES[n % len(PHASES)]))
        if n % 3:
            pairs.append(SearchAttributePair(search.PLAN_MONTH, 1 + n + (n > 18) * 5))
        if n % 4:
            pairs.append(SearchAttributePair(search.APOYO_FAMILIAR, professionals[n % 2]))
        if n < 12:  # overdue, each by a different number of days (the oldest first shown)
            pairs.append(SearchAttributePair(search.NEXT_DEADLINE, NOW - timedelta(days=n * 7 + 1)))
        elif n < 18:
            pairs.append(SearchAttributePair(search.NEXT_DEADLINE, NOW + timedelta(days=n)))
        handles.append(
            await client.start_workflow(
                WORKFLOW_TYPE,
                id=family_workflow_id(uuid.uuid4()),
                task_queue=f"tablero-sin-worker-{comuna}",
                search_attributes=TypedSearchAttributes(pairs),
            )
        )
    try:
        yield client, comuna, professionals
    finally:
        await asyncio.gather(*(h.terminate("fin de la prueba") for h in handles))


async def test_the_counts_give_the_listings_numbers(
    families: tuple[Client, str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, comuna, professionals = families
    # Few shown, so the oldest overdue are found by narrowing the deadline window.
    monkeypatch.setattr(board, "OVERDUE_SHOWN", 3)
    monkeypatch.setattr(board, "OVERDUE_LISTED", 4)
    wanted = BoardFilter(comuna=comuna)
    listed = await eventually(
        lambda: unit_board_by_listing(client, wanted, NOW), until=lambda b: b.total == 22
    )
    counted = await unit_board(client, wanted, NOW, professionals)
    assert counted.total == listed.total == 22
    assert counted.per_phase == listed.per_phase
    assert counted.per_phase["derivacion"] == 1
    assert counted.per_month == listed.per_month
    assert counted.per_month[24] == 2  # months 25 and 26 count in the 24th, as listed
    assert counted.per_professional == listed.per_professional
    assert counted.per_professional[""] == 6
    assert counted.overdue_per_phase == listed.overdue_per_phase
    assert counted.overdue_total == 12
    assert counted.overdue == listed.overdue
    assert [o.due for o in counted.overdue] == sorted(o.due for o in counted.overdue)
    assert len(counted.overdue) == 3

    for narrower in (
        BoardFilter(comuna=comuna, cohort=2025),
        BoardFilter(comuna=comuna, professional=professionals[1]),
    ):
        listed = await unit_board_by_listing(client, narrower, NOW)
        counted = await unit_board(client, narrower, NOW, professionals)
        assert counted.total == listed.total > 0
        assert counted.per_phase == listed.per_phase
        assert counted.per_month == listed.per_month
        assert counted.per_professional == listed.per_professional
        assert counted.overdue_per_phase == listed.overdue_per_phase
        assert counted.overdue == listed.overdue
