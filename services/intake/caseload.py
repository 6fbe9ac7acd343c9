"""Balancing new families across Apoyos Familiares by their current load (DOMAIN.md §4)."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Capacity:
    staff_id: UUID
    active: int  # families currently assigned and active
    limit: int  # the person's own limit, or the unit's policy


def balance(families: Sequence[UUID], capacities: Sequence[Capacity]) -> dict[UUID, UUID | None]:
    """Give each family, in order, to the least-loaded professional with room.

    Ties go to the professional listed first, so the result is reproducible. Families left
    when everyone is full map to None: the caller reports them as *sin asignar*.
    """
    heap = [(c.active, index, c) for index, c in enumerate(capacities) if c.active < c.limit]
    heapq.heapify(heap)
    result: dict[UUID, UUID | None] = {}
    for family in families:
        if not heap:
            result[family] = None
            continue
        active, index, capacity = heapq.heappop(heap)
        result[family] = capacity.staff_id
        if active + 1 < capacity.limit:
            heapq.heappush(heap, (active + 1, index, capacity))
    return result
