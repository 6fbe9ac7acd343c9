"""payment orders, batches, bank messages, ledger, payees

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.migration_ops import create_audit_table, drop_audit_table

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_holds",
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column(
            "since", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("family_id", name=op.f("pk_payment_holds")),
    )
    create_audit_table()
    op.create_table(
        "bank_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_cursor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_cursor")),
    )
    op.create_table(
        "bank_messages",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("message_id", sa.String(length=60), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column(
            "applied_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("problems", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("kind", "message_id", name=op.f("pk_bank_messages")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("tx_id", sa.Uuid(), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("concept", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "debit >= 0 AND credit >= 0 AND (debit = 0) <> (credit = 0)",
            name=op.f("ck_ledger_entries_one_side"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        "ix_ledger_entries_period_account", "ledger_entries", ["period", "account"], unique=False
    )
    op.create_index(op.f("ix_ledger_entries_tx_id"), "ledger_entries", ["tx_id"], unique=False)
    op.create_table(
        "payees",
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("run", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("bank_code", sa.String(length=10), nullable=False),
        sa.Column("account_kind", sa.String(length=20), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("rejects_in_row", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("family_id", name=op.f("pk_payees")),
    )
    op.create_table(
        "payment_cycles",
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column(
            "cut_off_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_payment_cycles")),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cycle_period", sa.Date(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("control_sum", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=100), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("receipt", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_period"],
            ["payment_cycles.period"],
            name=op.f("fk_batches_cycle_period_payment_cycles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint("message_id", name=op.f("uq_batches_message_id")),
        sa.UniqueConstraint("seq", name=op.f("uq_batches_seq")),
    )
    op.create_index(op.f("ix_batches_cycle_period"), "batches", ["cycle_period"], unique=False)
    op.create_table(
        "payment_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entitlement_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("concept", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_payment_orders_entitlement_id_entitlements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_orders")),
        sa.UniqueConstraint("entitlement_id", name=op.f("uq_payment_orders_entitlement_id")),
        sa.UniqueConstraint(
            "family_id",
            "period",
            "concept",
            name=op.f("uq_payment_orders_family_id_period_concept"),
        ),
    )
    op.create_index(
        op.f("ix_payment_orders_family_id"), "payment_orders", ["family_id"], unique=False
    )
    op.create_index(
        "ix_payment_orders_pending",
        "payment_orders",
        ["period"],
        unique=False,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "batch_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("concept", sa.String(length=40), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("run", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("bank_code", sa.String(length=10), nullable=False),
        sa.Column("account_kind", sa.String(length=20), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=10), nullable=True),
        sa.Column("reason_text", sa.String(length=300), nullable=True),
        sa.Column("bank_reference", sa.String(length=60), nullable=True),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_lines_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["payment_orders.id"], name=op.f("fk_batch_lines_order_id_payment_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_lines")),
        sa.UniqueConstraint("bank_reference", name=op.f("uq_batch_lines_bank_reference")),
        sa.UniqueConstraint("end_to_end_id", name=op.f("uq_batch_lines_end_to_end_id")),
    )
    op.create_index(op.f("ix_batch_lines_batch_id"), "batch_lines", ["batch_id"], unique=False)
    op.create_index(op.f("ix_batch_lines_order_id"), "batch_lines", ["order_id"], unique=False)
    op.create_index(
        "uq_batch_lines_order_in_flight",
        "batch_lines",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('sent', 'accepted', 'available')"),
    )
    op.create_index(
        "uq_batch_lines_order_paid",
        "batch_lines",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('settled', 'claimed')"),
    )


def downgrade() -> None:
    op.drop_table("payment_holds")
    op.drop_index(
        "uq_batch_lines_order_paid",
        table_name="batch_lines",
        postgresql_where=sa.text("status IN ('settled', 'claimed')"),
    )
    op.drop_index(
        "uq_batch_lines_order_in_flight",
        table_name="batch_lines",
        postgresql_where=sa.text("status IN ('sent', 'accepted', 'available')"),
    )
    op.drop_index(op.f("ix_batch_lines_order_id"), table_name="batch_lines")
    op.drop_index(op.f("ix_batch_lines_batch_id"), table_name="batch_lines")
    op.drop_table("batch_lines")
    op.drop_index(
        "ix_payment_orders_pending",
        table_name="payment_orders",
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.drop_index(op.f("ix_payment_orders_family_id"), table_name="payment_orders")
    op.drop_table("payment_orders")
    op.drop_index(op.f("ix_batches_cycle_period"), table_name="batches")
    op.drop_table("batches")
    op.drop_table("payment_cycles")
    op.drop_table("payees")
    op.drop_index(op.f("ix_ledger_entries_tx_id"), table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_period_account", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("bank_messages")
    op.drop_table("bank_cursor")
    drop_audit_table()
