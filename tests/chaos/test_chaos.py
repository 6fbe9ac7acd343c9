"""Chaos runs under pytest (tests/chaos/README.md).

- `make test` runs one short seeded money run (< 2 minutes on 2 cores): a hundred families,
  two payment cycles, a few faults; then it corrupts the payments database on purpose and
  checks the same collectors now report each planted fault (the checks can fail).
- `pytest -m chaos` adds the long runs (marked `slow` too, so `make test` leaves them out);
  `make chaos SEMILLAS="1 2 3"` runs them per seed from the command line instead.
"""

from __future__ import annotations

import os
import uuid

import asyncpg
import pytest

from shared.db.engine import asyncpg_dsn
from tests.chaos import invariants
from tests.chaos.faults import Kind
from tests.chaos.observe import observe
from tests.chaos.run import ChaosConfig, ChaosReport, run

pytestmark = pytest.mark.chaos

SHORT = ChaosConfig(
    mode="dinero",
    seed=int(os.environ.get("FAMILIAS_CAOS_SEMILLA", "7")),
    families=100,
    rounds=2,
    kinds=(Kind.KILL_PAYMENTS, Kind.KILL_RELAY_AFTER_WRITES, Kind.KILL_BRIDGE,
           Kind.EVENTS_DUPLICATED, Kind.POSTGRES_KILLED),
    bank_kinds=(Kind.BANK_DUPLICATES, Kind.BANK_PARTIAL),
    fault_window=8.0,
    cycle_timeout=300,
    quiesce_timeout=60,
    label="corta, make test",
)  # fmt: skip


def explain(report: ChaosReport) -> str:
    return "\n".join([report.markdown(), *report.plan])


async def test_a_short_seeded_money_run_keeps_every_invariant() -> None:
    planted: dict[str, int] = {}

    async def corrupt(stack, bus) -> None:  # type: ignore[no-untyped-def]
        """After the run: plant one fault of each kind the payments database can hold,
        and observe again with the same collectors."""
        dsn = asyncpg_dsn(stack.settings.service_database_url("payments"))
        connection = await asyncpg.connect(dsn)
        try:
            await plant(connection)
        finally:
            await connection.close()
        async with stack.http("payments") as payments:
            observed = await observe(
                stack.settings,
                bus,
                await stack.temporal(),
                bank_dir=stack.bank_dir,
                cycle_periods=["2031-01"],
                payments_http=payments,
            )
        for result in invariants.check(observed):
            planted[result.name] = result.value

    report = await run(SHORT, after=corrupt)
    assert report.ok, explain(report)
    assert sum(report.faults.values()) >= len(SHORT.kinds or ()), explain(report)
    assert planted["Derechos sin orden de pago"] == 1
    assert planted["Órdenes sin estado final ni de espera"] == 1
    assert planted["Órdenes pagadas dos veces"] == 1
    assert planted["Descuadre del libro (CLP) y meses sin cuadrar"] >= 500
    assert planted["Eventos perdidos"] == 1


async def plant(connection: asyncpg.Connection) -> None:
    """An entitlement without an order, an order stranded in a batch, an order paid twice
    in the books, an unbalanced ledger transaction and an event never published."""
    order = await connection.fetchrow(
        "SELECT o.id, o.family_id, o.period, o.amount FROM payment_orders o "
        "WHERE o.state = 'settled' ORDER BY o.id LIMIT 1"
    )
    assert order is not None
    await connection.execute(
        "INSERT INTO entitlements (id, family_id, period, concept, plan_month, tranche, "
        "amount, tariff_effective_from, tariff_source) "
        "VALUES ($1, $2, '2031-01-01', 'bono_caos', 1, 1, 1, '2024-01-01', 'caos')",
        uuid.uuid4(),
        order["family_id"],
    )
    await connection.execute(
        "UPDATE payment_orders SET state = 'in_batch' WHERE id = ("
        "SELECT id FROM payment_orders WHERE state = 'settled' AND id <> $1 "
        "ORDER BY id LIMIT 1)",
        order["id"],
    )
    tx = uuid.uuid4()
    await connection.execute(
        "INSERT INTO ledger_entries (tx_id, account, debit, credit, family_id, period, "
        "concept, order_id, reference) VALUES "
        "($1, 'por_pagar', $3, 0, $2, $4, 'bono_proteccion', $5, 'caos'),"
        "($1, 'banco', 0, $3, $2, $4, 'bono_proteccion', $5, 'caos'),"
        "($6, 'banco', 500, 0, $2, $4, 'bono_proteccion', NULL, 'caos')",
        tx,
        order["family_id"],
        order["amount"],
        order["period"],
        order["id"],
        uuid.uuid4(),
    )
    await connection.execute(
        "INSERT INTO outbox (id, subject, payload, published_at) "
        "VALUES ($1, 'payments.evt.v1.caos', '{}', now())",
        uuid.uuid4(),
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_money_under_every_fault(seed: int) -> None:
    report = await run(ChaosConfig(mode="dinero", seed=seed, families=1000, rounds=3))
    assert report.ok, explain(report)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_lifecycle_under_every_fault(seed: int) -> None:
    report = await run(ChaosConfig(mode="ciclo-de-vida", seed=seed, families=300, rounds=4))
    assert report.ok, explain(report)
