"""Each invariant of the chaos suite fails when fed the state it exists to catch: a check
that cannot fail proves nothing. No servers: the checks are pure functions of `Observed`."""

from __future__ import annotations

from collections import Counter
from uuid import UUID, uuid4

import pytest

from shared.contracts import subjects
from tests.chaos.invariants import (
    DeadLetter,
    Observed,
    Order,
    StreamEvent,
    WorkflowOutcome,
    check,
    dead_letters,
    debited_not_settled,
    entitlements_without_order,
    events_applied_twice,
    events_lost,
    events_out_of_order,
    failed,
    ledger_imbalance,
    orders_paid_twice,
    orders_unfinished,
    table,
    workflows_failed,
)

FAMILY = uuid4()


def event(
    stream: str,
    sequence: int,
    subject: str,
    family: UUID | None = FAMILY,
    event_id: UUID | None = None,
) -> StreamEvent:
    return StreamEvent(event_id or uuid4(), stream, sequence, subject, family)


def healthy() -> Observed:
    """A small state where everything holds: three intake events and a plans one, each
    applied by whoever must; one order paid once, in the bank's statement and the books."""
    referred = event("intake", 1, subjects.FAMILY_REFERRED)
    committed = event("intake", 2, subjects.FAMILY_COMMITTED)
    session = event("plans", 1, subjects.SESSION_RECORDED)
    created = event("payments", 1, subjects.ORDER_CREATED)  # not bridged
    order = uuid4()
    return Observed(
        families=1,
        workflows=[WorkflowOutcome(f"family-lifecycle:{FAMILY}", "RUNNING")],
        published=[("intake", referred.event_id, referred.subject)],
        stream=[referred, committed, session, created],
        applied={"plans": {committed.event_id}, "payments": {committed.event_id}},
        timelines={FAMILY: [referred.event_id, committed.event_id, session.event_id]},
        orders={order: Order("settled", 24_523, ("settled",))},
        paying_lines=Counter({order: 1}),
        paid_in_books={order: 24_523},
        bank_debits=[(order, "MOV-1")],
        cuadraturas={"2031-01": True},
    )


def test_a_healthy_state_holds_every_invariant() -> None:
    results = check(healthy())
    assert not failed(results), [(r.name, r.examples) for r in failed(results)]
    assert "| Eventos perdidos | 0 | 0 | sí |" in table(results, Counter({"kill-worker": 2}), {})


def test_a_failed_or_wedged_workflow_fails() -> None:
    state = healthy()
    state.workflows.append(WorkflowOutcome("payment-cycle:2031-01", "FAILED"))
    assert workflows_failed(state).value == 1
    state = healthy()
    state.workflows = [WorkflowOutcome("family-lifecycle:x", "RUNNING", "tarea de flujo fallando")]
    assert workflows_failed(state).value == 1


@pytest.mark.parametrize("where", ["outbox", "stream", "plans", "payments", "bridge"])
def test_an_event_lost_anywhere_fails(where: str) -> None:
    state = healthy()
    committed = state.stream[1]
    if where == "outbox":
        state.unpublished.append(("intake", uuid4(), subjects.FAMILY_CONTACTED))
    elif where == "stream":
        state.published.append(("plans", uuid4(), subjects.SESSION_RECORDED))
    elif where == "bridge":
        state.timelines[FAMILY].remove(committed.event_id)
    else:
        state.applied[where].discard(committed.event_id)
    result = events_lost(state)
    assert result.value == 1, result.examples


def test_an_event_in_the_dead_letters_is_not_lost_but_a_dead_letter() -> None:
    state = healthy()
    committed = state.stream[1]
    state.applied["plans"].discard(committed.event_id)
    state.dead_letters.append(DeadLetter("plans", committed.subject, str(committed.event_id), "x"))
    assert events_lost(state).value == 0
    assert dead_letters(state).value == 1
    state.explained_dead_letters[str(committed.event_id)] = "caso inexistente, inyectado"
    assert dead_letters(state).value == 0


def test_an_event_for_a_family_whose_workflow_ended_is_skipped_not_lost() -> None:
    state = healthy()
    late = event("payments", 2, subjects.TRANSFER_SETTLED)
    state.stream.append(late)
    assert events_lost(state).value == 1
    state.closed_families.add(FAMILY)
    assert events_lost(state).value == 0


def test_a_family_without_a_workflow_loses_its_events() -> None:
    state = healthy()
    del state.timelines[FAMILY]
    assert events_lost(state).value == 3  # referred, committed, session


def test_an_event_twice_in_a_timeline_fails() -> None:
    state = healthy()
    state.timelines[FAMILY].append(state.stream[1].event_id)
    assert events_applied_twice(state).value == 1


def test_a_copy_of_an_event_in_the_stream_is_not_applied_twice() -> None:
    state = healthy()
    committed = state.stream[1]
    state.stream.append(event("intake", 9, committed.subject, event_id=committed.event_id))
    assert not failed(check(state))


def test_events_of_one_stream_applied_against_its_order_fail() -> None:
    state = healthy()
    referred, committed = state.stream[0], state.stream[1]
    state.timelines[FAMILY] = [committed.event_id, referred.event_id, state.stream[2].event_id]
    assert events_out_of_order(state).value == 1


def test_events_of_different_streams_may_interleave() -> None:
    state = healthy()
    session = state.stream[2]
    state.timelines[FAMILY] = [session.event_id, state.stream[0].event_id, state.stream[1].event_id]
    assert events_out_of_order(state).value == 0


def test_an_entitlement_without_an_order_fails() -> None:
    state = healthy()
    state.entitlements_without_order.append(uuid4())
    assert entitlements_without_order(state).value == 1


@pytest.mark.parametrize("how", ["bank", "lines", "books"])
def test_an_order_paid_twice_fails_whoever_says_so(how: str) -> None:
    state = healthy()
    order = next(iter(state.orders))
    if how == "bank":
        state.bank_debits.append((order, "MOV-2"))
    elif how == "lines":
        state.paying_lines[order] = 2
    else:
        state.paid_in_books[order] = 2 * 24_523
    assert orders_paid_twice(state).value == 1


def test_the_same_debit_read_twice_is_one_payment() -> None:
    state = healthy()
    state.bank_debits.append(state.bank_debits[0])  # the duplicates fault
    assert orders_paid_twice(state).value == 0


def test_a_debit_the_books_do_not_hold_as_paid_fails() -> None:
    state = healthy()
    order = next(iter(state.orders))
    state.orders[order] = Order("pending", 24_523, ("rejected",))
    assert debited_not_settled(state).value == 1
    state = healthy()
    state.bank_debits.append((None, "MOV-9"))  # a transfer payments does not know
    assert debited_not_settled(state).value == 1


def test_an_order_stranded_in_a_batch_fails_but_one_waiting_at_the_counter_does_not() -> None:
    state = healthy()
    state.orders[uuid4()] = Order("in_batch", 24_523, ("sent",))
    assert orders_unfinished(state).value == 1
    state = healthy()
    state.orders[uuid4()] = Order("in_batch", 24_523, ("rejected", "available"))
    assert orders_unfinished(state).value == 0


def test_an_unbalanced_ledger_or_cuadratura_fails() -> None:
    state = healthy()
    state.ledger_imbalances[uuid4()] = 100
    assert ledger_imbalance(state).value == 100
    state = healthy()
    state.cuadraturas["2031-02"] = False
    assert ledger_imbalance(state).value == 1


def test_every_check_fails_on_its_bad_state_through_check() -> None:
    """The table as a whole says NO when anything is wrong."""
    state = healthy()
    state.ledger_imbalances[uuid4()] = 1
    results = check(state)
    assert [r.name for r in failed(results)] == ["Descuadre del libro (CLP) y meses sin cuadrar"]
    assert "**NO**" in table(results, Counter(), {})
