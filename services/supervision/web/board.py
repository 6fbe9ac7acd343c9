"""The unit dashboard's numbers, from count queries on Temporal's visibility.

Every number is a `count_workflows`: per phase, per month of the plan, per Apoyo Familiar
and overdue per phase, a few dozen queries sent concurrently whatever the number of
families. Listing the running families instead costs about 1 ms per family (≈ 5 s at
5,000; `unit_board_by_listing`, kept as the reference the counts are tested against and
the benchmark compares with, `bench/tablero.py`).

What limited the counts (measured on the dev server, server 1.32 on SQLite, 5,000 running
families; bench/RESULTS.md):
- the namespace's visibility rate limit, `frontend.namespaceRPS.visibility`, 10 a second
  by default: the ~40 queries of one page view waited for tokens (the 1.2 s seen before).
  The local launcher raises it (`deploy/local/servers.py`); an external Temporal needs
  the same dynamic-config setting.
- `ExecutionStatus = "Running"`: SQLite's planner then walks the status index, every
  running workflow, for every query (15–35 ms each at 5,000, serialized on the dev
  server's single SQLite connection). `CloseTime IS NULL` means the same (a workflow is
  running until it closes) and becomes part of the custom attribute's index
  (`Keyword01, COALESCE(close_time, …)`), so a count only reads its own families. The
  queries name no `WorkflowType` for the same reason: the attributes are
  FamilyLifecycle's own.
- GROUP BY would make it one query per chart, but this server groups only by
  ExecutionStatus ("'GROUP BY' clause is not supported for search attribute Phase").

There is no ORDER BY either, so the oldest overdue families are found by narrowing a
deadline window with counts (a few rounds of concurrent counts) and listing only the
families before it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio.client import Client
from temporalio.service import RPCError

from services.supervision.clients import PHASES, visibility_timestamp
from shared.contracts import search
from shared.contracts.lifecycle import WORKFLOW_TYPE
from shared.errors import DependencyUnavailable

PLAN_MONTHS = 24
OVERDUE_SHOWN = 50
# Overdue families listed at most to find the oldest OVERDUE_SHOWN (listing ~0.5 ms each).
OVERDUE_LISTED = 2 * OVERDUE_SHOWN
# First round of the overdue window: counts of families due before these ages.
OVERDUE_AGES = (
    *(timedelta(days=d) for d in (730, 365, 180, 90, 60, 30, 14, 7, 3, 1)),
    timedelta(hours=6),
    timedelta(hours=1),
)
OVERDUE_ROUNDS = 4
OVERDUE_SPLITS = 8
# Queries in flight at once: enough to keep the server busy, few enough that the overdue
# window's rounds are not queued behind the whole page.
CONCURRENCY = 12
# A count per Apoyo Familiar shown costs ~1.5 ms of the server's time: beyond a comuna's
# team (a filter by comuna or professional), the page shows intake's caseloads only.
PROFESSIONALS_COUNTED = 24
RUNNING = "CloseTime IS NULL"
UNASSIGNED = ""

Counting = Callable[[Sequence[str]], Awaitable[int]]


@dataclass(frozen=True)
class BoardFilter:
    comuna: str | None = None
    cohort: int | None = None
    professional: str | None = None

    def clauses(self) -> list[str]:
        """The filter as visibility clauses (running families only)."""
        clauses = [RUNNING]
        if self.comuna:
            clauses.append(f'Comuna = "{_literal(self.comuna)}"')
        if self.cohort:
            clauses.append(f"CohortYear = {int(self.cohort)}")
        if self.professional:
            clauses.append(f'ApoyoFamiliar = "{_literal(self.professional)}"')
        return clauses

    def visibility_query(self) -> str:
        """The listing's query: every running FamilyLifecycle the filter selects."""
        clauses = [f'WorkflowType = "{WORKFLOW_TYPE}"', 'ExecutionStatus = "Running"']
        return " AND ".join(clauses + self.clauses()[1:])


@dataclass(frozen=True)
class OverdueFamily:
    family_id: str
    phase: str
    due: datetime


@dataclass
class UnitBoard:
    total: int = 0
    per_phase: Counter[str] = field(default_factory=Counter)
    per_month: Counter[int] = field(default_factory=Counter)
    per_professional: Counter[str] = field(default_factory=Counter)
    overdue_per_phase: Counter[str] = field(default_factory=Counter)
    overdue: list[OverdueFamily] = field(default_factory=list)
    professionals_counted: bool = True

    @property
    def overdue_total(self) -> int:
        return sum(self.overdue_per_phase.values())


async def unit_board(
    client: Client,
    wanted: BoardFilter,
    now: datetime,
    professionals: Awaitable[Sequence[str]] | Sequence[str] = (),
) -> UnitBoard:
    """The dashboard from counts; `professionals` (the staff ids shown, possibly still
    being fetched) get a count each, and the families with no Apoyo Familiar one more."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def count(clauses: Sequence[str]) -> int:
        async with gate:
            return (await client.count_workflows(" AND ".join(clauses))).count

    base = wanted.clauses()
    due = f'NextDeadline < "{visibility_timestamp(now)}"'
    month_clauses = [f"PlanMonth = {m}" for m in range(1, PLAN_MONTHS)]
    month_clauses.append(f"PlanMonth >= {PLAN_MONTHS}")
    board = UnitBoard(per_phase=Counter(dict.fromkeys(PHASES, 0)))
    try:
        async with asyncio.TaskGroup() as tasks:
            phases = [tasks.create_task(count([f'Phase = "{p}"', *base])) for p in PHASES]
            unphased = tasks.create_task(count(["Phase IS NULL", *base]))
            overdue = [tasks.create_task(count([f'Phase = "{p}"', *base, due])) for p in PHASES]
            months = [tasks.create_task(count([c, *base])) for c in month_clauses]
            oldest = tasks.create_task(_oldest_overdue(client, count, base, now))
            ids = list(
                professionals if isinstance(professionals, Sequence) else await professionals
            )
            if wanted.professional:
                ids = [i for i in ids if i == wanted.professional]
            if len(ids) > PROFESSIONALS_COUNTED:
                ids = []  # a region's whole staff: intake's caseloads are shown alone
            board.professionals_counted = bool(ids)
            per_id = {
                i: tasks.create_task(count([f'ApoyoFamiliar = "{_literal(i)}"', *base]))
                for i in dict.fromkeys(ids)
            }
            if not wanted.professional:
                per_id[UNASSIGNED] = tasks.create_task(count(["ApoyoFamiliar IS NULL", *base]))
    except* RPCError as group:
        first = group.exceptions[0]
        message = first.message if isinstance(first, RPCError) else str(first)
        raise DependencyUnavailable(f"Temporal no respondió: {message}") from first
    for phase, task in zip(PHASES, phases, strict=True):
        board.per_phase[phase] = task.result()
    board.per_phase["derivacion"] += unphased.result()  # not yet upserted: as the listing
    board.total = sum(board.per_phase.values())
    for phase, task in zip(PHASES, overdue, strict=True):
        if task.result():
            board.overdue_per_phase[phase] = task.result()
    for month, task in enumerate(months, start=1):
        if task.result():
            board.per_month[month] = task.result()
    for professional, task in per_id.items():
        if task.result():
            board.per_professional[professional] = task.result()
    board.overdue = oldest.result()
    return board


async def _oldest_overdue(
    client: Client, count: Counting, base: Sequence[str], now: datetime
) -> list[OverdueFamily]:
    """The OVERDUE_SHOWN families whose deadline passed longest ago, listing at most
    OVERDUE_LISTED: a window [lo, hi) of deadlines is narrowed by counts until fewer than
    OVERDUE_SHOWN are due before lo and at most OVERDUE_LISTED before hi (or the window
    is a minute wide: then its families are taken as they come, all due within it)."""

    def before(moment: datetime) -> list[str]:
        return [*base, f'NextDeadline < "{visibility_timestamp(moment)}"']

    lo: datetime | None = None
    lo_count = 0
    hi, hi_count = now, -1
    cuts = [now - age for age in OVERDUE_AGES] + [now]
    for _ in range(OVERDUE_ROUNDS):
        counts = await asyncio.gather(*(count(before(c)) for c in cuts))
        for cut, due_before in zip(cuts, counts, strict=True):
            if due_before < OVERDUE_SHOWN:
                lo, lo_count = cut, due_before
            else:
                hi, hi_count = cut, due_before
                break
        else:
            if hi_count < 0:  # fewer than OVERDUE_SHOWN overdue in all: list them all
                hi, hi_count = now, lo_count
                break
        start = lo if lo is not None else hi - timedelta(days=20 * 365)
        if hi_count <= OVERDUE_LISTED or hi - start <= timedelta(minutes=1):
            break
        step = (hi - start) / OVERDUE_SPLITS
        cuts = [start + step * k for k in range(1, OVERDUE_SPLITS)]
    if hi_count == 0:
        return []
    if hi_count <= OVERDUE_LISTED or lo is None:
        found = await _overdue_listed(client, before(hi), OVERDUE_LISTED)
    else:
        window = [
            *base,
            f'NextDeadline >= "{visibility_timestamp(lo)}"',
            f'NextDeadline < "{visibility_timestamp(hi)}"',
        ]
        older, within = await asyncio.gather(
            _overdue_listed(client, before(lo), OVERDUE_SHOWN),
            _overdue_listed(client, window, OVERDUE_SHOWN - lo_count),
        )
        found = older + within
    found.sort(key=lambda o: o.due)
    return found[:OVERDUE_SHOWN]


async def _overdue_listed(
    client: Client, clauses: Sequence[str], limit: int
) -> list[OverdueFamily]:
    found: list[OverdueFamily] = []
    if limit <= 0:
        return found
    async for execution in client.list_workflows(" AND ".join(clauses), limit=limit):
        attributes = execution.typed_search_attributes
        due = attributes.get(search.NEXT_DEADLINE)
        if due is not None:
            phase = attributes.get(search.PHASE) or "derivacion"
            family_id = execution.id.removeprefix("family-lifecycle:")
            found.append(OverdueFamily(family_id, phase, due))
    return found


async def unit_board_by_listing(client: Client, wanted: BoardFilter, now: datetime) -> UnitBoard:
    """The same numbers from one pass over every running family (the former dashboard):
    the reference for the counts' tests and the benchmark's baseline."""
    board = UnitBoard(per_phase=Counter(dict.fromkeys(PHASES, 0)))
    try:
        async for execution in client.list_workflows(wanted.visibility_query(), page_size=1000):
            attributes = execution.typed_search_attributes
            phase = attributes.get(search.PHASE) or "derivacion"
            board.total += 1
            board.per_phase[phase] += 1
            month = attributes.get(search.PLAN_MONTH)
            if month:
                board.per_month[min(int(month), PLAN_MONTHS)] += 1
            board.per_professional[attributes.get(search.APOYO_FAMILIAR) or UNASSIGNED] += 1
            due = attributes.get(search.NEXT_DEADLINE)
            if due is not None and due < now:
                board.overdue_per_phase[phase] += 1
                family_id = execution.id.removeprefix("family-lifecycle:")
                board.overdue.append(OverdueFamily(family_id, phase, due))
    except RPCError as exc:
        raise DependencyUnavailable(f"Temporal no respondió: {exc.message}") from exc
    board.overdue.sort(key=lambda o: o.due)
    del board.overdue[OVERDUE_SHOWN:]
    return board


def _literal(value: str) -> str:
    """A value inside a visibility query: no quote or backslash can end it early."""
    return value.replace("\\", "").replace('"', "")
