"""The double-entry ledger: entitlement → payable → paid / expired, always balanced.

Each business fact posts one transaction of two lines with equal debit and credit, in the
same database transaction as the fact itself, so the books cannot drift from the orders.
`balance_report` is the month's *cuadratura*: what was owed, paid, pending and expired, and
every check that must hold; `familias pagos cuadratura` fails loudly when one does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.issue_reports import open_problems
from services.payments.repository import ledger as repository
from services.payments.repository import orders
from services.payments.repository.records import Money

EXPENSE = "gasto_transferencias"
PAYABLE = "por_pagar"
BANK = "banco"
EXPIRED = "caducado"

ACCOUNT_NAMES = {
    EXPENSE: "Gasto en transferencias",
    PAYABLE: "Transferencias por pagar",
    BANK: "Banco (pagado)",
    EXPIRED: "Caducado (renunciado)",
}


@dataclass(frozen=True)
class Posting:
    """Money moving from one account to another for one order: one balanced transaction."""

    debit_account: str
    credit_account: str
    amount: int
    family_id: UUID
    period: date
    concept: str
    order_id: UUID | None
    reference: str

    @classmethod
    def of(
        cls, money: Money, debit: str, credit: str, *, order_id: UUID | None, reference: str
    ) -> Posting:
        return cls(
            debit, credit, int(money.amount), money.family_id, money.period, money.concept,
            order_id, reference,
        )  # fmt: skip

    def rows(self) -> list[dict[str, Any]]:
        tx_id = uuid4()
        common = {
            "tx_id": tx_id,
            "family_id": self.family_id,
            "period": self.period,
            "concept": self.concept,
            "order_id": self.order_id,
            "reference": self.reference,
        }
        return [
            {**common, "account": self.debit_account, "debit": self.amount, "credit": 0},
            {**common, "account": self.credit_account, "debit": 0, "credit": self.amount},
        ]


@dataclass(frozen=True)
class BalanceReport:
    period: date
    owed: int
    paid: int
    expired: int
    pending: int
    orders: dict[str, int]
    accounts: dict[str, int]  # debit − credit per account
    problems: list[str]

    @property
    def balanced(self) -> bool:
        return not self.problems


class LedgerService:
    async def post(self, session: AsyncSession, postings: Sequence[Posting]) -> None:
        rows = [row for posting in postings if posting.amount > 0 for row in posting.rows()]
        await repository.add_entries(session, rows)

    async def balance_report(
        self,
        session: AsyncSession,
        period: date,
        *,
        alerts: list[str] | None = None,
    ) -> BalanceReport:
        """The month's books: every check is a query that must come out equal. `alerts`
        are what the cycle flags about the month's orders (stranded in unsent batches,
        overdue at the bank): the books cannot square with the bank while they stand."""
        accounts = await repository.balances(session, period)
        by_state = await orders.totals_of_month(session, period)
        owed = sum(amount for _, amount in by_state.values())
        paid = by_state.get("settled", (0, 0))[1]
        expired = by_state.get("expired", (0, 0))[1]
        pending = owed - paid - expired
        problems: list[str] = []
        unbalanced = await repository.unbalanced_transactions(session, period)
        if unbalanced:
            problems.append(f"{unbalanced} transacciones con débitos distintos de los créditos")
        checks = [
            (EXPENSE, owed, "el gasto registrado no coincide con lo devengado en órdenes"),
            (PAYABLE, -pending, "el saldo por pagar no coincide con las órdenes pendientes"),
            (BANK, -paid, "lo pagado en el banco no coincide con las órdenes pagadas"),
            (EXPIRED, -expired, "lo caducado no coincide con las órdenes caducadas"),
        ]
        for account, expected, message in checks:
            actual = accounts.get(account, 0)
            if actual != expected:
                problems.append(f"{ACCOUNT_NAMES[account]}: {message} ({actual} ≠ {expected})")
        paid_twice = await repository.orders_paid_twice(session, period)
        if paid_twice:
            problems.append(f"{paid_twice} órdenes pagadas más de una vez")
        # What the bank contradicted does not square until a person resolves it, nor do
        # orders stuck on the way to the bank.
        problems += await open_problems(session, period)
        problems += alerts or []
        return BalanceReport(
            period=period,
            owed=owed,
            paid=paid,
            expired=expired,
            pending=pending,
            orders={state: count for state, (count, _) in by_state.items()},
            accounts=accounts,
            problems=problems,
        )


ledger_service = LedgerService()
