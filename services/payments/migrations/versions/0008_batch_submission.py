"""batches sent by payments' own submitter: queued, attempts, back-off, refused

Revision ID: 0008
Revises: 0007

The cycle asks for a batch to be sent (queued) and payments' submitter hands it to the
bank, retrying with back-off: no NATS request waits on a slow bank, and a batch built by
any step, attempt or cycle is found by its state.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("batches", sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "batches",
        sa.Column("submit_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "batches", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("batches", sa.Column("last_error", sa.String(length=300), nullable=True))
    op.create_index(
        "ix_batches_unsent",
        "batches",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("state IN ('built', 'queued')"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_batches_unsent",
        table_name="batches",
        postgresql_where=sa.text("state IN ('built', 'queued')"),
    )
    op.drop_column("batches", "last_error")
    op.drop_column("batches", "next_attempt_at")
    op.drop_column("batches", "submit_attempts")
    op.drop_column("batches", "queued_at")
