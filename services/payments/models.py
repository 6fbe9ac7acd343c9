"""Payments' tables. Only this service reads or writes them."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.base import TYPE_ANNOTATION_MAP, declare_shared_tables, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


declare_shared_tables(Base)


class Entitlement(Base):
    """What a family is owed for one month and concept. Unique: never registered twice."""

    __tablename__ = "entitlements"
    __table_args__ = (UniqueConstraint("family_id", "period", "concept"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_id: Mapped[UUID] = mapped_column(index=True)
    period: Mapped[date]
    concept: Mapped[str] = mapped_column(String(40))
    plan_month: Mapped[int]
    tranche: Mapped[int]
    amount: Mapped[int] = mapped_column(BigInteger)  # CLP
    tariff_effective_from: Mapped[date]
    tariff_source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TariffRecord(Base):
    """The tariffs in force: the packaged file merged at start, plus administrators' uploads.

    A published row is never changed; a new law is a new row (maybe effective before it
    was published, which is what makes a *reliquidación*).
    """

    __tablename__ = "tariff_rows"
    __table_args__ = (UniqueConstraint("concept", "tranche", "effective_from"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    concept: Mapped[str] = mapped_column(String(20))
    tranche: Mapped[int]
    effective_from: Mapped[date]
    published_at: Mapped[date]
    amount: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(200))
    loaded_by: Mapped[str] = mapped_column(String(120), default="paquete")
    loaded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Payee(Base):
    """Who receives a family's transfers and how: the representative and the channel.

    Kept in step with intake's representative (events carry ids; the RUT and name are asked
    of intake over the bus). The default channel is the representative's Cuenta RUT at
    BancoEstado, whose number is the RUT without its check digit; the payments officer may
    register another account or the in-person channel. A batch copies these fields when it
    is built, so a change made during a cycle applies to the next one.
    """

    __tablename__ = "payees"

    family_id: Mapped[UUID] = mapped_column(primary_key=True)
    member_id: Mapped[UUID]
    run: Mapped[str] = mapped_column(String(12))  # normalised, "12345678K"
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))  # transferencia | presencial
    bank_code: Mapped[str] = mapped_column(String(10))
    account_kind: Mapped[str] = mapped_column(String(20))
    account_number: Mapped[str] = mapped_column(String(40))
    rejects_in_row: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class FamilyIncome(Base):
    """The family's per-capita income and size, as staff record them (from the Registro
    Social de Hogares), for the Bono Base Familiar. The latest record counts."""

    __tablename__ = "family_incomes"

    family_id: Mapped[UUID] = mapped_column(primary_key=True)
    per_capita: Mapped[int] = mapped_column(BigInteger)  # CLP per person per month
    members: Mapped[int]
    source: Mapped[str] = mapped_column(String(200))
    recorded_on: Mapped[date]
    # Eligibility is checked each month (on the 15th): staff mark when conditions fail.
    eligible: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PaymentHold(Base):
    """A family whose payments are suspended (paused, abandonment under review).

    Its orders are held, never dropped: released, they wait for the next cycle.
    """

    __tablename__ = "payment_holds"

    family_id: Mapped[UUID] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(120))
    since: Mapped[datetime] = mapped_column(server_default=func.now())


class PaymentOrder(Base):
    """One payment owed: unique per (family, period, concept), paid at most once.

    States: pending (waiting for a cycle), held (family suspended), in_batch (a transfer
    attempt is out), settled, expired (in person, unclaimed 6 months: renounced).
    """

    __tablename__ = "payment_orders"
    __table_args__ = (
        UniqueConstraint("family_id", "period", "concept"),
        Index(
            "ix_payment_orders_pending", "period", "id", postgresql_where=text("state = 'pending'")
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    entitlement_id: Mapped[UUID] = mapped_column(ForeignKey("entitlements.id"), unique=True)
    family_id: Mapped[UUID] = mapped_column(index=True)
    period: Mapped[date]
    concept: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PaymentCycle(Base):
    __tablename__ = "payment_cycles"

    period: Mapped[date] = mapped_column(primary_key=True)
    cut_off_at: Mapped[datetime] = mapped_column(server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class Batch(Base):
    """Up to ~1,000 transfers of one cycle: one pain.001 file with its control totals."""

    __tablename__ = "batches"
    __table_args__ = (
        Index("ix_batches_unsent", "seq", postgresql_where=text("state IN ('built', 'queued')")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    cycle_period: Mapped[date] = mapped_column(ForeignKey("payment_cycles.period"), index=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    count: Mapped[int]
    control_sum: Mapped[int] = mapped_column(BigInteger)
    # built → queued (the cycle asked to send it) → submitted (the bank's receipt) | refused
    # (the bank refused the whole file: its orders went back to pending, never sent as is).
    state: Mapped[str] = mapped_column(String(20), default="built")
    file_name: Mapped[str | None] = mapped_column(String(100), default=None)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    receipt: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    queued_at: Mapped[datetime | None] = mapped_column(default=None)
    # The submitter's uploads: how many, when the next may start (a lease while one is
    # under way, a back-off after a failure), and the last failure's reason.
    submit_attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)


class BatchLine(Base):
    """One transfer attempt of an order, with the payee frozen at cut-off.

    The partial unique indexes are the "paid at most once" rule in the database itself: an
    order has at most one attempt in flight and at most one that paid.
    """

    __tablename__ = "batch_lines"
    __table_args__ = (
        Index(
            "uq_batch_lines_order_paid",
            "order_id",
            unique=True,
            postgresql_where=text("status IN ('settled', 'claimed')"),
        ),
        Index(
            "uq_batch_lines_order_in_flight",
            "order_id",
            unique=True,
            postgresql_where=text("status IN ('sent', 'accepted', 'available')"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    batch_id: Mapped[UUID] = mapped_column(ForeignKey("batches.id"), index=True)
    order_id: Mapped[UUID] = mapped_column(ForeignKey("payment_orders.id"), index=True)
    family_id: Mapped[UUID]
    period: Mapped[date]
    concept: Mapped[str] = mapped_column(String(40))
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(20))
    run: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    bank_code: Mapped[str] = mapped_column(String(10))
    account_kind: Mapped[str] = mapped_column(String(20))
    account_number: Mapped[str] = mapped_column(String(40))
    # sent | accepted | settled | rejected | available | claimed | expired | disputed (the
    # bank debited it although the order was paid by another line: a payment_issue)
    status: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(10), default=None)
    reason_text: Mapped[str | None] = mapped_column(String(300), default=None)
    bank_reference: Mapped[str | None] = mapped_column(String(60), unique=True, default=None)
    settled_on: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PaymentIssue(Base):
    """Something about money that does not add up, for a person to resolve.

    Opened by reconciliation when the bank contradicts itself — it rejected a transfer it
    debits, or debits one it rejected, or debits an order paid already — or refuses a whole
    file. The bank's statement decides meanwhile (a debited order counts as paid and is
    never sent again); the payments officer resolves it (`pagada`, `no_pagada` when the
    bank returned the money, `revisado`), audited.
    """

    __tablename__ = "payment_issues"
    __table_args__ = (
        Index("ix_payment_issues_open", "period", postgresql_where=text("resolved_at IS NULL")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    # cargo_tras_rechazo | rechazo_tras_cargo | segundo_cargo | archivo_rechazado
    kind: Mapped[str] = mapped_column(String(40))
    period: Mapped[date]  # the order's month, or the cycle's for a whole file
    family_id: Mapped[UUID | None] = mapped_column(default=None)
    order_id: Mapped[UUID | None] = mapped_column(ForeignKey("payment_orders.id"), default=None)
    batch_id: Mapped[UUID | None] = mapped_column(ForeignKey("batches.id"), default=None)
    end_to_end_id: Mapped[str | None] = mapped_column(String(35), default=None)
    bank_reference: Mapped[str | None] = mapped_column(String(60), default=None)
    amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    detail: Mapped[str] = mapped_column(String(500))
    opened_at: Mapped[datetime] = mapped_column(server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(120), default=None)
    resolution: Mapped[str | None] = mapped_column(String(20), default=None)
    notes: Mapped[str | None] = mapped_column(String(500), default=None)


class BankMessageRecord(Base):
    """Every message the bank sent, applied once (a duplicate finds its id here)."""

    __tablename__ = "bank_messages"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    cursor: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    applied_at: Mapped[datetime] = mapped_column(server_default=func.now())
    problems: Mapped[str | None] = mapped_column(String(2000), default=None)


class BankCursor(Base):
    """How far the bank's message list has been read (one row)."""

    __tablename__ = "bank_cursor"

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    last_cursor: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerEntry(Base):
    """Double-entry ledger: every transaction's debits equal its credits.

    Accounts: `gasto_transferencias` (what the programme owes families, debited when an
    entitlement is recorded), `por_pagar` (payable to families), `banco` (money paid out),
    `caducado` (in-person payments unclaimed for 6 months: renounced).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(
            "debit >= 0 AND credit >= 0 AND (debit = 0) <> (credit = 0)", name="one_side"
        ),
        Index("ix_ledger_entries_period_account", "period", "account"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    tx_id: Mapped[UUID] = mapped_column(index=True)
    account: Mapped[str] = mapped_column(String(40))
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    family_id: Mapped[UUID]
    period: Mapped[date]
    concept: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[UUID | None] = mapped_column(default=None)
    reference: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
