"""The month's payment cycle for N orders (150,000 by default), against raw COPY of N rows.

Everything runs on the local stack as `make run` starts it: embedded PostgreSQL, NATS and
the Temporal dev server; the payments service and the bank simulator as their own
processes (`LocalStack.start_processes`), the simulator answering at once (`--retraso 0`)
and rejecting — AC04, closed account — the accounts ending in 0000 (1 % of the payees
here). This process seeds the orders (setup, timed apart, not part of the cycle) and runs a
Temporal worker with `PaymentCycle` and its activities (NATS requests to payments).

Measured: from starting the `PaymentCycle` workflow to its result — cut-off, batches of
`payments_batch_size`, one pain.001 per batch submitted to the bank, the bank's pain.002
and camt.054 read and applied until no transfer is in flight, close — plus the month's
cuadratura (`GET /v1/cycles/{mes}/cuadratura`), which must balance. The reference is
PostgreSQL's `COPY` of N rows shaped like `batch_lines` (the row the cycle writes per
order) into a table of the same database, taken before and after the cycle in the same run.
Peak RSS of the payments process, the simulator and this process is sampled every 0.2 s.
"""

from __future__ import annotations

import contextlib
import random
import statistics
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import asyncpg
import httpx
import psutil
from stdnum.cl import rut as stdnum_rut
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from bench.support import bench_servers
from deploy.local.ports import free_ports
from deploy.local.stack import LocalStack
from services.payments.tariffs import load_tariffs, protection_amount
from shared.bus.client import Bus
from shared.contracts.payments import PAYMENT_CYCLE_WORKFLOW, PaymentCycleInput, PaymentCycleView
from shared.db.engine import asyncpg_dsn
from shared.temporal import connect_temporal
from workflows.payment_cycle.activities import PaymentCycleActivities
from workflows.payment_cycle.workflow import PaymentCycle
from workflows.worker import workflow_runner

PERIOD = date(2030, 1, 1)
REJECT_EVERY = 100  # one payee in 100 has an account the simulated bank treats as closed
MIB = 1024 * 1024


def cpu_seconds(process: psutil.Process, *, children: bool) -> float:
    """User + system CPU of a process, and of its live children (PostgreSQL's backends)."""
    total = 0.0
    for each in [process, *(process.children(recursive=True) if children else [])]:
        with contextlib.suppress(psutil.Error):
            times = each.cpu_times()
            total += times.user + times.system
    return total


class PeakMemory:
    """Peak RSS of some processes, sampled in a thread (the event loop may be busy), and
    the CPU time each used meanwhile: on a shared machine CPU seconds say more than wall
    time about where the work is."""

    def __init__(self, processes: dict[str, int], cpu_only: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in processes.items()}
        self.all = {name: psutil.Process(pid) for name, pid in {**processes, **cpu_only}.items()}
        self.servers = set(cpu_only)  # the bench process's own children are counted apart
        self.peak: dict[str, int] = dict.fromkeys(processes, 0)
        self.cpu: dict[str, float] = self._cpu()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, process in self.processes.items():
                with contextlib.suppress(psutil.Error):
                    self.peak[name] = max(self.peak[name], process.memory_info().rss)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = {name: seconds - self.cpu[name] for name, seconds in self._cpu().items()}

    def _cpu(self) -> dict[str, float]:
        return {
            name: cpu_seconds(process, children=name in self.servers)
            for name, process in self.all.items()
        }


@dataclass
class Seeded:
    orders: int
    amount: int
    rejects: int
    seconds: float


async def seed(dsn: str, orders: int) -> Seeded:
    """Payees, entitlements, pending orders and their ledger postings, with COPY."""
    started = time.perf_counter()
    owed = protection_amount(load_tariffs(), PERIOD, 1)
    rng = random.Random(8)
    bodies = rng.sample(range(5_000_000, 25_000_000), orders)
    payees: list[tuple[Any, ...]] = []
    entitlements, payment_orders, ledger = [], [], []
    rejects = 0
    for index, body in enumerate(bodies):
        family_id, entitlement_id, order_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        run = f"{body}{stdnum_rut.calc_check_digit(str(body))}"
        closed = index % REJECT_EVERY == REJECT_EVERY - 1
        account = f"{body // 10_000}0000" if closed else run[:-1]
        rejects += account.endswith("0000")  # a Cuenta RUT may end so too
        payees.append(
            (family_id, uuid.uuid4(), run, "Integrante Ñuñoa", "transferencia", "012",
             "cuenta_rut", account, 0)
        )  # fmt: skip
        entitlements.append(
            (entitlement_id, family_id, PERIOD, "bono_proteccion", 1, owed.tranche,
             owed.amount, owed.row.effective_from, owed.row.source)
        )  # fmt: skip
        payment_orders.append(
            (order_id, entitlement_id, family_id, PERIOD, "bono_proteccion", owed.amount,
             "pending", 0)
        )  # fmt: skip
        tx_id, reference = uuid.uuid4(), f"derecho:{order_id}"
        ledger.append(
            (tx_id, "gasto_transferencias", owed.amount, 0, family_id, PERIOD,
             "bono_proteccion", order_id, reference)
        )  # fmt: skip
        ledger.append(
            (tx_id, "por_pagar", 0, owed.amount, family_id, PERIOD, "bono_proteccion",
             order_id, reference)
        )  # fmt: skip
    payee_columns = ["family_id", "member_id", "run", "name", "channel", "bank_code",
                     "account_kind", "account_number", "rejects_in_row"]  # fmt: skip
    connection = await asyncpg.connect(dsn)
    try:
        held = await connection.fetchval(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'payees' AND column_name = 'held'"
        )
        if held:  # older schema: the hold was a column of the payee
            payees = [(*payee, False) for payee in payees]
            payee_columns.append("held")
        async with connection.transaction():
            await connection.copy_records_to_table("payees", records=payees, columns=payee_columns)
            await connection.copy_records_to_table(
                "entitlements",
                records=entitlements,
                columns=["id", "family_id", "period", "concept", "plan_month", "tranche",
                         "amount", "tariff_effective_from", "tariff_source"],
            )  # fmt: skip
            await connection.copy_records_to_table(
                "payment_orders",
                records=payment_orders,
                columns=["id", "entitlement_id", "family_id", "period", "concept", "amount",
                         "state", "attempts"],
            )  # fmt: skip
            await connection.copy_records_to_table(
                "ledger_entries",
                records=ledger,
                columns=["tx_id", "account", "debit", "credit", "family_id", "period",
                         "concept", "order_id", "reference"],
            )  # fmt: skip
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return Seeded(orders, orders * owed.amount, rejects, time.perf_counter() - started)


async def copy_reference(dsn: str, rows: int) -> float:
    """COPY `rows` rows shaped like `batch_lines` (17 columns), tuples built beforehand."""
    now = datetime.now().astimezone()
    records = [
        (uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), PERIOD, "bono_proteccion",
         f"{uuid.uuid4().hex}-1", 24_523, "transferencia", f"{12_000_000 + i}K",
         "Integrante Ñuñoa", "012", "cuenta_rut", str(12_000_000 + i), "sent", now, now)
        for i in range(rows)
    ]  # fmt: skip
    columns = [
        "id", "batch_id", "order_id", "family_id", "period", "concept", "end_to_end_id",
        "amount", "channel", "run", "name", "bank_code", "account_kind", "account_number",
        "status", "created_at", "updated_at",
    ]  # fmt: skip
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "DROP TABLE IF EXISTS copy_reference; "
            "CREATE TABLE copy_reference (LIKE batch_lines INCLUDING DEFAULTS)"
        )
        started = time.perf_counter()
        await connection.copy_records_to_table("copy_reference", records=records, columns=columns)
        seconds = time.perf_counter() - started
        await connection.execute("DROP TABLE copy_reference")
    finally:
        await connection.close()
    return seconds


@dataclass
class Span:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    busy: float = 0.0  # sum of each activity's scheduled → completed time
    scheduled: dict[int, datetime] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return (self.last - self.first).total_seconds() if self.first and self.last else 0.0


async def history_phases(client: Client, workflow_id: str) -> tuple[int, int, dict[str, Span]]:
    """(events, runs, per activity type its span) over every run of the workflow id."""
    spans: dict[str, Span] = defaultdict(Span)
    events = runs = 0
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs += 1
        events += len(history.events)
        kinds: dict[int, str] = {}
        following: str | None = None
        for event in history.events:
            moment = event.event_time.ToDatetime()
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                name = event.activity_task_scheduled_event_attributes.activity_type.name
                kinds[event.event_id] = name
                span = spans[name]
                span.scheduled[event.event_id] = moment
                span.first = span.first or moment
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                scheduled_id = event.activity_task_completed_event_attributes.scheduled_event_id
                span = spans[kinds[scheduled_id]]
                span.count += 1
                span.last = moment
                span.busy += (moment - span.scheduled[scheduled_id]).total_seconds()
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                attributes = event.workflow_execution_continued_as_new_event_attributes
                following = attributes.new_execution_run_id
        if following is None:
            return events, runs, spans
        run_id = following


async def main(*, events: int, rounds: int, orders: int = 150_000) -> None:
    del events, rounds  # one cycle per run: at 150,000 orders it takes minutes
    payments_port, bank_port = free_ports(2)
    with bench_servers(
        temporal=True,
        log_level="WARNING",
        payments_port=payments_port,
        bank_port=bank_port,
        bank_delay_seconds=0.0,
    ) as stack:
        stack.start_processes(["payments", "bank"])
        await _run(stack, orders)


async def _run(stack: LocalStack, orders: int) -> None:
    settings = stack.settings
    dsn = asyncpg_dsn(settings.service_database_url("payments"))
    print(f"ciclo de pagos — {orders} órdenes, lotes de {settings.payments_batch_size}")
    copy_before = await copy_reference(dsn, orders)
    seeded = await seed(dsn, orders)
    print(
        f"  preparación (COPY de beneficiarios, derechos, órdenes, asientos): "
        f"{seeded.seconds:.1f} s"
    )
    pids = {
        "pagos": stack.supervisor.processes["payments"].pid,
        "banco": stack.supervisor.processes["bank"].pid,
    }
    processes: dict[str, int] = {name: pid for name, pid in pids.items() if pid is not None}
    processes["bench + worker"] = psutil.Process().pid
    servers = {
        "postgresql": stack.supervisor.processes["postgresql"].pid,
        "temporal": stack.supervisor.processes["temporal"].pid,
        "nats": stack.supervisor.processes["nats"].pid,
    }
    cpu_only: dict[str, int] = {name: pid for name, pid in servers.items() if pid is not None}
    bus = await Bus.connect(settings, name="bench-ciclo")
    client = await connect_temporal(settings)
    task_queue = f"bench-ciclo-{uuid.uuid4().hex[:6]}"
    workflow_id = f"{task_queue}:ciclo"
    http = httpx.AsyncClient(base_url=settings.service_url("payments"), timeout=600)
    try:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[PaymentCycle],
            activities=PaymentCycleActivities(bus).all(),
            workflow_runner=workflow_runner(),
        ):
            with PeakMemory(processes, cpu_only) as memory:
                started = time.perf_counter()
                handle = await client.start_workflow(
                    PAYMENT_CYCLE_WORKFLOW,
                    args=[
                        PaymentCycleInput(
                            period=f"{PERIOD:%Y-%m}", poll_seconds=0.5, bank_wait_hours=2
                        ),
                        None,
                    ],
                    id=workflow_id,
                    task_queue=task_queue,
                    result_type=PaymentCycleView,
                )
                view = await handle.result()
                workflow_seconds = time.perf_counter() - started
                response = await http.get(f"/v1/cycles/{PERIOD:%Y-%m}/cuadratura")
                response.raise_for_status()
                books: dict[str, Any] = response.json()
                cycle_seconds = time.perf_counter() - started
        history_events, runs, spans = await history_phases(client, workflow_id)
    finally:
        await http.aclose()
        await bus.close()
    copy_after = await copy_reference(dsn, orders)
    as_expected = _report(view, books, seeded, spans, history_events, runs, memory.peak)
    print(
        "  CPU durante el ciclo: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in memory.cpu.items())
    )
    copy_seconds = statistics.median([copy_before, copy_after])
    print(f"  COPY de {orders} filas (antes / después): {copy_before:.2f} / {copy_after:.2f} s")
    print(f"  flujo PaymentCycle hasta su resultado:  {workflow_seconds:.1f} s")
    print(f"  ciclo completo (+ cuadratura):          {cycle_seconds:.1f} s")
    print(f"  razón ciclo / COPY: {cycle_seconds / copy_seconds:.1f}")
    if not as_expected:
        raise SystemExit("el ciclo no pagó / rechazó lo esperado")
    if not books["balanced"]:
        raise SystemExit(f"la cuadratura no cuadra: {books['problems']}")


def _report(
    view: PaymentCycleView,
    books: dict[str, Any],
    seeded: Seeded,
    spans: dict[str, Span],
    history_events: int,
    runs: int,
    peak: dict[str, int],
) -> bool:
    progress = view.progress
    assert progress is not None
    print(
        f"  lotes {view.batches_built}, transferencias {progress.transfers}, "
        f"pagadas {progress.settled}, rechazadas {progress.rejected} "
        f"(esperadas {seeded.rejects}), en curso {progress.in_flight}, "
        f"problemas {len(progress.problems)}"
    )
    print(
        f"  cuadratura: cuadra={books['balanced']} devengado {books['owed']} "
        f"pagado {books['paid']} pendiente {books['pending']}"
    )
    print("  fases (historia de Temporal: primera programada → última completada):")
    for name in ("open_cycle", "build_batches", "submit_batch", "poll_bank", "close_cycle"):
        span = spans.get(name)
        if span is None:
            continue
        print(
            f"    {name:14} {span.seconds:7.1f} s  ({span.count} actividades, "
            f"{span.busy:.1f} s sumando cada una)"
        )
    print(f"  historia: {history_events} eventos en {runs} ejecución(es)")
    print(
        "  memoria máxima (RSS): "
        + ", ".join(f"{name} {rss / MIB:.0f} MiB" for name, rss in peak.items())
    )
    return (progress.settled, progress.rejected) == (seeded.orders - seeded.rejects, seeded.rejects)
