"""Supervision reads the unit's state from Temporal's visibility."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest

from deploy.local.stack import LocalStack
from services.supervision.clients import PHASES
from tests.support.data import family_payload
from tests.support.waiting import eventually
from workflows.family.state import Phase

pytestmark = pytest.mark.e2e


def test_supervision_knows_every_phase_the_workflow_can_be_in() -> None:
    assert set(PHASES) == {p.value for p in Phase} - {Phase.CLOSED.value}


async def test_the_dashboard_counts_running_families_per_phase(system: LocalStack) -> None:
    comuna = f"Tablero {uuid4().hex[:6]}"
    async with httpx.AsyncClient(timeout=10) as http:
        for _ in range(2):
            created = await http.post(
                f"{system.settings.service_url('intake')}/v1/families",
                json=family_payload(comuna=comuna),
            )
            assert created.status_code == 201, created.text

        async def board() -> dict[str, Any]:
            response = await http.get(
                f"{system.settings.service_url('supervision')}/v1/dashboard",
                params={"comuna": comuna},
            )
            return dict(response.json())

        counts = await eventually(board, until=lambda b: b["by_phase"]["contacto"] == 2)
    assert counts["total"] == 2
    assert counts["overdue"] == 0
