"""New families go to the least-loaded Apoyo Familiar with room."""

from __future__ import annotations

from collections import Counter
from uuid import uuid4

from services.intake.caseload import Capacity, balance


def test_load_evens_out_and_respects_each_limit() -> None:
    a, b, c = uuid4(), uuid4(), uuid4()
    capacities = [Capacity(a, 30, 40), Capacity(b, 36, 40), Capacity(c, 10, 12)]
    families = [uuid4() for _ in range(15)]
    plan = balance(families, capacities)
    counts = Counter(plan.values())
    assert counts[c] == 2  # up to its own limit of 12
    assert counts[a] == 10  # 30 → 40: first up to b's 36, then alternating with b
    assert counts[b] == 3  # 36 → 39
    assert None not in counts


def test_when_everyone_is_full_families_stay_unassigned() -> None:
    a = uuid4()
    families = [uuid4() for _ in range(3)]
    plan = balance(families, [Capacity(a, 39, 40)])
    assert list(plan.values()) == [a, None, None]


def test_ties_go_to_the_first_listed_so_the_result_is_reproducible() -> None:
    a, b = uuid4(), uuid4()
    families = [uuid4() for _ in range(4)]
    plan = balance(families, [Capacity(a, 0, 40), Capacity(b, 0, 40)])
    assert [plan[f] for f in families] == [a, b, a, b]
