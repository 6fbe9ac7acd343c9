"""What must hold after a chaos run, checked from what the databases, the streams, Temporal and
the bank's statement say (`observe.py` collects it into `Observed`); pure functions, so a
test can feed each check a bad state and see it fail (test_invariants.py).

Definitions (tests/chaos/README.md has them in prose):

- *event lost*: an outbox row never published; a row marked published that is in no
  stream; or an event in a stream that a consumer must apply and did not — the plans and
  payments consumers (their inbox) for the subjects they handle, and the bridge for every
  family event it signals (the event id in the family's timeline). An event a consumer put
  in the dead-letter stream is not lost but a dead letter; one for a family whose workflow
  had already ended is skipped by design (counted apart).
- *applied twice*: an event id twice in a family's timeline (the inboxes' primary key makes
  it impossible there).
- *applied out of order*: two events of one stream and one family in the timeline in the
  opposite order to the stream's.
- *paid twice*: an order the bank debited under two references (the camt.054 statements
  the bank sent), or with two paying lines or more paid than owed in payments' books.
- *debited, not paid*: an order the bank's statement debited that payments does not hold
  as settled (consistency rule 7: the statement is the truth about money that left).
- *unfinished order*: not settled, pending, held or expired once the run is over — except
  one whose live line is an in-person payment waiting at the counter (`available`).
- *ledger imbalance*: the sum of |debits − credits| over every ledger transaction, plus the
  months whose cuadratura does not balance.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from shared.contracts import subjects

WAITING_LINE = "available"
DONE_ORDER_STATES = frozenset({"settled", "pending", "held", "expired"})
FAILED_STATUSES = frozenset({"FAILED", "TERMINATED", "TIMED_OUT", "CANCELED"})


@dataclass(frozen=True)
class StreamEvent:
    event_id: UUID
    stream: str  # owner: intake, plans, payments, lifecycle
    sequence: int
    subject: str
    family_id: UUID | None


@dataclass(frozen=True)
class WorkflowOutcome:
    workflow_id: str
    status: str  # RUNNING, COMPLETED, CONTINUED_AS_NEW, FAILED, …
    stuck: str | None = None  # why it cannot go on (a workflow task or activity failing)


@dataclass(frozen=True)
class DeadLetter:
    consumer: str
    subject: str
    event_id: str
    error: str


@dataclass(frozen=True)
class Order:
    state: str
    amount: int
    line_statuses: tuple[str, ...] = ()


@dataclass
class Observed:
    """Everything the checks read, as plain data."""

    families: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    workflows: list[WorkflowOutcome] = field(default_factory=list)
    # (service, event id, subject) of outbox rows, published or not.
    unpublished: list[tuple[str, UUID, str]] = field(default_factory=list)
    published: list[tuple[str, UUID, str]] = field(default_factory=list)
    # Every message of the streams, repeats included (a republish past the window, a copy).
    stream: list[StreamEvent] = field(default_factory=list)
    # consumer → event ids in its inbox.
    applied: dict[str, set[UUID]] = field(default_factory=dict)
    # family → event ids of its timeline, in timeline order; families whose workflow ended.
    timelines: dict[UUID, list[UUID]] = field(default_factory=dict)
    closed_families: set[UUID] = field(default_factory=set)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    explained_dead_letters: dict[str, str] = field(default_factory=dict)  # event id → why
    entitlements_without_order: list[UUID] = field(default_factory=list)
    orders: dict[UUID, Order] = field(default_factory=dict)
    paying_lines: Counter[UUID] = field(default_factory=Counter)  # order → settled/claimed lines
    paid_in_books: dict[UUID, int] = field(default_factory=dict)  # order → bank credits net
    # The bank's statement: (order, bank reference) of each camt.054 debit entry.
    bank_debits: list[tuple[UUID | None, str]] = field(default_factory=list)
    ledger_imbalances: dict[UUID, int] = field(default_factory=dict)  # tx → debit − credit
    cuadraturas: dict[str, bool] = field(default_factory=dict)  # period → balanced


@dataclass
class Result:
    name: str
    value: int
    examples: list[str] = field(default_factory=list)
    informative: bool = False
    note: str = ""

    @property
    def holds(self) -> bool:
        return self.informative or self.value == 0


# Which consumer applies which events (kept in step with the handlers themselves).
def plans_applies(event: StreamEvent) -> bool:
    from services.plans.handlers import WATCHED

    return event.subject in WATCHED and event.family_id is not None


def payments_applies(event: StreamEvent) -> bool:
    from services.payments.handlers import PAYEE_EVENTS

    return (
        event.stream == "intake" and event.subject in PAYEE_EVENTS and event.family_id is not None
    )


def bridge_applies(event: StreamEvent) -> bool:
    return (
        event.stream in subjects.BRIDGED_STREAM_OWNERS
        and event.subject not in subjects.NOT_BRIDGED
        and event.family_id is not None
    )


CONSUMERS = {"plans": plans_applies, "payments": payments_applies}


def _unique(events: Iterable[StreamEvent]) -> dict[UUID, StreamEvent]:
    """First message of each event id (a copy or a republish comes later in its stream)."""
    first: dict[UUID, StreamEvent] = {}
    for event in sorted(events, key=lambda e: (e.stream, e.sequence)):
        first.setdefault(event.event_id, event)
    return first


def workflows_failed(observed: Observed) -> Result:
    bad = [
        f"{w.workflow_id}: {w.stuck or w.status}"
        for w in observed.workflows
        if w.status in FAILED_STATUSES or w.stuck
    ]
    return Result("Flujos fallidos o atascados", len(bad), bad)


def events_lost(observed: Observed) -> Result:
    examples: list[str] = []
    examples += [f"sin publicar en {s}: {e} {subj}" for s, e, subj in observed.unpublished]
    events = _unique(observed.stream)
    examples += [
        f"marcado publicado en {s} y ausente del stream: {e} {subj}"
        for s, e, subj in observed.published
        if e not in events
    ]
    dead = {(d.consumer, d.event_id) for d in observed.dead_letters}
    skipped = 0
    for event in events.values():
        for consumer, applies in CONSUMERS.items():
            if (
                applies(event)
                and event.event_id not in observed.applied.get(consumer, set())
                and (consumer, str(event.event_id)) not in dead
            ):
                examples.append(f"{consumer} no aplicó {event.subject} {event.event_id}")
        if bridge_applies(event) and (("bridge", str(event.event_id)) not in dead):
            assert event.family_id is not None
            timeline = observed.timelines.get(event.family_id)
            if timeline is not None and event.event_id in timeline:
                continue
            if event.family_id in observed.closed_families:
                skipped += 1
                continue
            where = "sin flujo" if timeline is None else "fuera de su línea de tiempo"
            examples.append(
                f"puente: {event.subject} {event.event_id} de la familia {event.family_id} {where}"
            )
    note = f"{skipped} para familias ya egresadas (omitidos por diseño)" if skipped else ""
    return Result("Eventos perdidos", len(examples), examples, note=note)


def events_applied_twice(observed: Observed) -> Result:
    examples = []
    for family, ids in observed.timelines.items():
        for event_id, times in Counter(ids).items():
            if times > 1:
                examples.append(f"familia {family}: evento {event_id} {times} veces")
    return Result("Eventos aplicados dos veces", len(examples), examples)


def events_out_of_order(observed: Observed) -> Result:
    events = _unique(observed.stream)
    examples = []
    for family, ids in observed.timelines.items():
        last: dict[str, StreamEvent] = {}
        for event_id in dict.fromkeys(ids):  # first application of each
            event = events.get(event_id)
            if event is None:
                continue
            before = last.get(event.stream)
            if before is not None and before.sequence > event.sequence:
                examples.append(
                    f"familia {family}: {event.subject} (n.º {event.sequence}) aplicado después "
                    f"de {before.subject} (n.º {before.sequence})"
                )
            if before is None or event.sequence > before.sequence:
                last[event.stream] = event
    return Result("Eventos aplicados fuera de orden", len(examples), examples)


def events_published_again(observed: Observed) -> Result:
    copies = Counter(e.event_id for e in observed.stream)
    again = sum(n - 1 for n in copies.values() if n > 1)
    return Result("Mensajes repetidos en los streams (copias inyectadas o republicados)", again,
                  informative=True)  # fmt: skip


def entitlements_without_order(observed: Observed) -> Result:
    ids = observed.entitlements_without_order
    return Result("Derechos sin orden de pago", len(ids), [str(i) for i in ids])


def orders_paid_twice(observed: Observed) -> Result:
    references: dict[UUID, set[str]] = defaultdict(set)
    for order, reference in observed.bank_debits:
        if order is not None:
            references[order].add(reference)
    bad: dict[UUID, str] = {}
    for order, refs in references.items():
        if len(refs) > 1:
            bad[order] = f"el banco la debitó {len(refs)} veces"
    for order, lines in observed.paying_lines.items():
        if lines > 1:
            bad.setdefault(order, f"{lines} líneas pagadas")
    for order, paid in observed.paid_in_books.items():
        owed = observed.orders[order].amount if order in observed.orders else None
        if owed is not None and paid > owed:
            bad.setdefault(order, f"pagado {paid} de {owed} en el libro")
    return Result("Órdenes pagadas dos veces", len(bad), [f"{o}: {w}" for o, w in bad.items()])


def debited_not_settled(observed: Observed) -> Result:
    examples = []
    unknown = sum(1 for order, _ in observed.bank_debits if order is None)
    if unknown:
        examples.append(f"{unknown} débitos de transferencias que pagos no conoce")
    for order in sorted({o for o, _ in observed.bank_debits if o is not None}, key=str):
        state = observed.orders[order].state if order in observed.orders else "desconocida"
        if state != "settled":
            examples.append(f"{order}: debitada por el banco, en pagos «{state}»")
    return Result("Débitos del banco sin pago registrado", len(examples), examples)


def orders_unfinished(observed: Observed) -> Result:
    examples = []
    for order_id, order in observed.orders.items():
        if order.state in DONE_ORDER_STATES:
            continue
        if order.state == "in_batch" and WAITING_LINE in order.line_statuses:
            continue  # an in-person payment waiting at the counter
        lines = ", ".join(order.line_statuses) or "sin líneas"
        examples.append(f"{order_id}: {order.state} (líneas: {lines})")
    return Result("Órdenes sin estado final ni de espera", len(examples), examples)


def ledger_imbalance(observed: Observed) -> Result:
    amount = sum(abs(v) for v in observed.ledger_imbalances.values() if v)
    examples = [f"asiento {tx}: {v:+}" for tx, v in observed.ledger_imbalances.items() if v]
    months = [period for period, ok in sorted(observed.cuadraturas.items()) if not ok]
    examples += [f"la cuadratura de {period} no cuadra" for period in months]
    return Result("Descuadre del libro (CLP) y meses sin cuadrar", amount + len(months), examples)


def dead_letters(observed: Observed) -> Result:
    unexplained = [
        f"{d.consumer}: {d.subject} {d.event_id}: {d.error}"
        for d in observed.dead_letters
        if d.event_id not in observed.explained_dead_letters
    ]
    explained = [
        f"{d.consumer}: {d.subject} {d.event_id}: {observed.explained_dead_letters[d.event_id]}"
        for d in observed.dead_letters
        if d.event_id in observed.explained_dead_letters
    ]
    note = f"{len(observed.dead_letters)} en total" if observed.dead_letters else ""
    return Result("Cartas muertas sin explicar", len(unexplained), unexplained + explained,
                  note=note)  # fmt: skip


CHECKS = (
    workflows_failed,
    events_lost,
    events_applied_twice,
    events_out_of_order,
    entitlements_without_order,
    orders_paid_twice,
    debited_not_settled,
    orders_unfinished,
    ledger_imbalance,
    dead_letters,
)


def check(observed: Observed) -> list[Result]:
    results = [Result("Familias", observed.families, informative=True)]
    results += [each(observed) for each in CHECKS]
    results.append(events_published_again(observed))
    return results


def failed(results: Sequence[Result]) -> list[Result]:
    return [r for r in results if not r.holds]


def table(results: Sequence[Result], faults: Counter[str], labels: dict[str, str]) -> str:
    """The Spanish tables, in Markdown (printed and appended to bench/RESULTS.md)."""
    lines = ["| Fallas inyectadas | Veces |", "|---|---:|"]
    for kind, times in sorted(faults.items()):
        lines.append(f"| {labels.get(kind, kind)} | {times} |")
    lines.append(f"| **Total** | **{sum(faults.values())}** |")
    lines += ["", "| Invariante | Valor | Esperado | ¿Cumple? |", "|---|---:|---:|---|"]
    for result in results:
        expected = "—" if result.informative else "0"
        verdict = "—" if result.informative else ("sí" if result.holds else "**NO**")
        value = f"{result.value}" + (f" ({result.note})" if result.note else "")
        lines.append(f"| {result.name} | {value} | {expected} | {verdict} |")
    return "\n".join(lines)


def details(results: Sequence[Result], limit: int = 8) -> list[str]:
    """A few examples of each invariant that failed (or of dead letters explained)."""
    lines = []
    for result in results:
        if result.examples and (not result.holds or result.name.startswith("Cartas")):
            lines.append(f"{result.name}:")
            lines += [f"  - {example}" for example in result.examples[:limit]]
            if len(result.examples) > limit:
                lines.append(f"  - … y {len(result.examples) - limit} más")
    return lines
