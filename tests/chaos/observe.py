"""Reading the system's state after a run into `invariants.Observed`: the three databases,
the JetStream streams, Temporal (each workflow's status and each family's timeline), the
dead-letter stream if there is one, and the bank's own statement files."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from services.payments.bankfile import parse_camt054
from shared.bus.client import Bus
from shared.contracts.envelope import Envelope
from shared.contracts.lifecycle import QUERY_TIMELINE, TimelineEntry, family_workflow_id
from shared.contracts.payments import payment_cycle_workflow_id
from shared.db.engine import asyncpg_dsn
from shared.settings import SERVICES, ServiceName, Settings
from tests.chaos.invariants import (
    DeadLetter,
    Observed,
    Order,
    StreamEvent,
    WorkflowOutcome,
)

STREAM_OWNERS = ("intake", "plans", "payments", "lifecycle")
STUCK_TASK_ATTEMPTS = 3
STUCK_ACTIVITY_ATTEMPTS = 4

T = TypeVar("T")


async def _bounded(
    items: Iterable[T], work: Callable[[T], Awaitable[Any]], limit: int = 16
) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> Any:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


async def _fetch(settings: Settings, service: ServiceName, query: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(settings.service_database_url(service)))
    try:
        return list(await connection.fetch(query))
    finally:
        await connection.close()


async def observe(
    settings: Settings,
    bus: Bus,
    temporal: Client,
    *,
    bank_dir: Any,
    cycle_periods: Iterable[str] = (),
    payments_http: Any = None,
) -> Observed:
    observed = Observed()
    families = [r["id"] for r in await _fetch(settings, "intake", "SELECT id FROM families")]
    observed.families = len(families)
    for service in SERVICES:
        for row in await _fetch(
            settings, service, "SELECT id, subject, published_at IS NULL AS waiting FROM outbox"
        ):
            target = observed.unpublished if row["waiting"] else observed.published
            target.append((service, row["id"], row["subject"]))
        for row in await _fetch(settings, service, "SELECT consumer, event_id FROM inbox"):
            observed.applied.setdefault(row["consumer"], set()).add(row["event_id"])
    observed.stream = await stream_events(settings, bus)
    observed.dead_letters = await dead_letters(bus)
    await _payments(settings, observed)
    observed.bank_debits = bank_debits(bank_dir, await _lines_by_e2e(settings))
    await _workflows(temporal, families, list(cycle_periods), observed)
    if payments_http is not None:
        for period in cycle_periods:
            response = await payments_http.get(f"/v1/cycles/{period}/cuadratura")
            observed.cuadraturas[period] = response.status_code == 200 and bool(
                response.json()["balanced"]
            )
    return observed


async def stream_events(settings: Settings, bus: Bus) -> list[StreamEvent]:
    """Every message of our four streams, in stream order, as the envelope it carries."""
    events: list[StreamEvent] = []
    for owner in STREAM_OWNERS:
        stream = settings.stream_name(owner)
        try:
            info = await bus.js.stream_info(stream)
        except Exception:
            continue
        last = info.state.last_seq
        if not info.state.messages:
            continue
        subscription = await bus.js.subscribe(
            bus.subject(f"{owner}.evt.>"),
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        try:
            while True:
                message = await subscription.next_msg(timeout=10)
                sequence = message.metadata.sequence.stream
                try:
                    envelope = Envelope.model_validate_json(message.data)
                except ValidationError:
                    continue  # not an envelope: the consumers' business (dead letters)
                events.append(
                    StreamEvent(
                        event_id=envelope.event_id,
                        stream=owner,
                        sequence=sequence,
                        subject=envelope.subject,
                        family_id=envelope.family_id,
                    )
                )
                if sequence >= last:
                    break
        finally:
            await subscription.unsubscribe()
    return events


async def dead_letters(bus: Bus) -> list[DeadLetter]:
    """Every dead letter of the stack's DEADLETTER stream not settled by a decision that
    applied or discarded it (`familias eventos reintentar|descartar`)."""
    found: list[DeadLetter] = []
    try:
        from shared.bus import deadletter
    except ImportError:  # a bus without a dead-letter stream (older code under test)
        return found
    for entry in (await deadletter.read_book(bus)).values():
        if entry.outcome is not None and entry.outcome.result in (
            deadletter.Result.APPLIED,
            deadletter.Result.DISCARDED,
        ):
            continue
        record = entry.record
        found.append(
            DeadLetter(
                consumer=record.consumer,
                subject=record.subject,
                event_id=record.event_id or f"n.º {record.stream_sequence} de {record.stream}",
                error=f"{record.failure} tras {record.attempts} intentos: {record.error}"[:400],
            )
        )
    return found


async def _payments(settings: Settings, observed: Observed) -> None:
    rows = await _fetch(
        settings,
        "payments",
        "SELECT e.id FROM entitlements e "
        "LEFT JOIN payment_orders o ON o.entitlement_id = e.id WHERE o.id IS NULL",
    )
    observed.entitlements_without_order = [r["id"] for r in rows]
    rows = await _fetch(
        settings,
        "payments",
        "SELECT o.id, o.state, o.amount, "
        "coalesce(array_agg(l.status ORDER BY l.created_at) FILTER (WHERE l.id IS NOT NULL), "
        "'{}') AS lines "
        "FROM payment_orders o LEFT JOIN batch_lines l ON l.order_id = o.id GROUP BY o.id",
    )
    observed.orders = {
        r["id"]: Order(r["state"], int(r["amount"]), tuple(r["lines"])) for r in rows
    }
    rows = await _fetch(
        settings,
        "payments",
        "SELECT order_id, count(*) AS n FROM batch_lines "
        "WHERE status IN ('settled', 'claimed') GROUP BY order_id",
    )
    observed.paying_lines = Counter({r["order_id"]: int(r["n"]) for r in rows})
    rows = await _fetch(
        settings,
        "payments",
        "SELECT order_id, sum(credit) - sum(debit) AS paid FROM ledger_entries "
        "WHERE account = 'banco' AND order_id IS NOT NULL GROUP BY order_id",
    )
    observed.paid_in_books = {r["order_id"]: int(r["paid"]) for r in rows}
    rows = await _fetch(
        settings,
        "payments",
        "SELECT tx_id, sum(debit) - sum(credit) AS off FROM ledger_entries "
        "GROUP BY tx_id HAVING sum(debit) <> sum(credit)",
    )
    observed.ledger_imbalances = {r["tx_id"]: int(r["off"]) for r in rows}


async def _lines_by_e2e(settings: Settings) -> dict[str, UUID]:
    rows = await _fetch(settings, "payments", "SELECT end_to_end_id, order_id FROM batch_lines")
    return {r["end_to_end_id"]: r["order_id"] for r in rows}


def bank_debits(bank_dir: Any, orders_by_e2e: dict[str, UUID]) -> list[tuple[UUID | None, str]]:
    """Every debit the bank's statements (camt.054 it sent back) booked: (order, reference)."""
    debits: list[tuple[UUID | None, str]] = []
    outbox = bank_dir / "salida"
    if not outbox.exists():
        return debits
    seen: set[str] = set()
    for path in sorted(outbox.glob("*_camt.054_*.xml")):
        message_id = path.stem.split("_", 2)[-1]
        if message_id in seen:
            continue  # the same message published twice (the duplicates fault)
        seen.add(message_id)
        for entry in parse_camt054(path.read_bytes()).entries:
            debits.append((orders_by_e2e.get(entry.end_to_end_id), entry.bank_reference))
    return debits


async def _workflows(
    temporal: Client, families: list[UUID], periods: list[str], observed: Observed
) -> None:
    async def family(family_id: UUID) -> None:
        handle = temporal.get_workflow_handle(family_workflow_id(str(family_id)))
        outcome = await _outcome(handle)
        if outcome is None:
            return  # no workflow: every bridged event of the family counts as lost
        observed.workflows.append(outcome)
        if outcome.status != "RUNNING":
            observed.closed_families.add(family_id)
        try:
            timeline = await handle.query(QUERY_TIMELINE, result_type=list[TimelineEntry])
        except Exception as exc:
            observed.workflows.append(
                WorkflowOutcome(outcome.workflow_id, outcome.status, f"sin consulta: {exc}")
            )
            return
        observed.timelines[family_id] = [e.event_id for e in timeline if e.event_id]

    async def cycle(period: str) -> None:
        handle = temporal.get_workflow_handle(payment_cycle_workflow_id(period))
        outcome = await _outcome(handle)
        if outcome is None:
            observed.workflows.append(WorkflowOutcome(handle.id, "NOT_FOUND", "el ciclo no existe"))
        elif outcome.status == "RUNNING":
            observed.workflows.append(
                WorkflowOutcome(handle.id, "RUNNING", outcome.stuck or "el ciclo no terminó")
            )
        else:
            observed.workflows.append(outcome)

    await _bounded(families, family)
    await _bounded(periods, cycle)


async def _outcome(handle: Any) -> WorkflowOutcome | None:
    """Status and stuck reason from the raw description (the SDK's decoded one trips on the
    time-skipping test server's search attributes)."""
    client: Client = handle._client
    try:
        raw = await client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
            )
        )
    except RPCError:
        return None
    status = WorkflowExecutionStatus(raw.workflow_execution_info.status).name
    return WorkflowOutcome(handle.id, status, stuck_reason(raw))


def stuck_reason(raw: Any) -> str | None:
    """Why a running workflow cannot go on: a workflow task or an activity failing again
    and again (a malformed event, a dependency that never comes back)."""
    task = raw.pending_workflow_task
    if raw.HasField("pending_workflow_task") and task.attempt >= STUCK_TASK_ATTEMPTS:
        return f"tarea de flujo fallando (intento {task.attempt})"
    for activity in raw.pending_activities:
        if activity.attempt >= STUCK_ACTIVITY_ATTEMPTS:
            failure = activity.last_failure.message if activity.HasField("last_failure") else ""
            return (
                f"actividad {activity.activity_type.name} reintentando "
                f"(intento {activity.attempt}): {failure[:200]}"
            )
    return None


async def quiesce(settings: Settings, bus: Bus, timeout: float) -> list[str]:
    """Wait until every outbox is published, every durable consumer has acknowledged every
    message; returns what was still moving at the end."""
    deadline = time.monotonic() + timeout
    moving: list[str] = []
    while time.monotonic() < deadline:
        moving = await _still_moving(settings, bus)
        if not moving:
            return []
        await asyncio.sleep(1.0)
    return moving


async def _still_moving(settings: Settings, bus: Bus) -> list[str]:
    moving = []
    for service in SERVICES:
        try:
            rows = await _fetch(
                settings, service, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
            )
        except (OSError, asyncpg.PostgresError) as exc:
            moving.append(f"{service}: {exc}")
            continue
        if rows[0]["n"]:
            moving.append(f"outbox de {service}: {rows[0]['n']} sin publicar")
    for owner in STREAM_OWNERS:
        stream = settings.stream_name(owner)
        try:
            consumers = await bus.js.consumers_info(stream)
        except Exception:
            continue
        for consumer in consumers:
            if consumer.num_pending or consumer.num_ack_pending:
                moving.append(
                    f"{stream}/{consumer.name}: {consumer.num_pending} pendientes, "
                    f"{consumer.num_ack_pending} sin confirmar"
                )
    return moving
