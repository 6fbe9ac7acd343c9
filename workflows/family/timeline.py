"""The family's timeline (`linea_de_tiempo`): every fact, phase change and decision."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.contracts.lifecycle import TimelineEntry
from workflows.family.state import FamilyState


def record(
    state: FamilyState,
    at: datetime,
    kind: str,
    description: str,
    *,
    actor: str = "sistema",
    event_id: UUID | None = None,
) -> None:
    state.timeline.append(
        TimelineEntry(at=at, kind=kind, description=description, actor=actor, event_id=event_id)
    )
