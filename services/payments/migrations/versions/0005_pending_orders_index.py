"""pending orders in build order

Revision ID: 0005
Revises: 0004

Building a batch takes the first pending orders by (period, id); with an index on period
alone every batch sorted all pending orders, so building slowed as the month grew
(bench/RESULTS.md, payment cycle).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_payment_orders_pending", table_name="payment_orders")
    op.create_index(
        "ix_payment_orders_pending",
        "payment_orders",
        ["period", "id"],
        unique=False,
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_payment_orders_pending", table_name="payment_orders")
    op.create_index(
        "ix_payment_orders_pending",
        "payment_orders",
        ["period"],
        unique=False,
        postgresql_where=sa.text("state = 'pending'"),
    )
