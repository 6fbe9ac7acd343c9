"""Initial schema: the shared bus tables and the service's own.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db.migration_ops import create_bus_tables, drop_bus_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_bus_tables()
    op.create_table(
        "cases",
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("comuna", sa.String(length=80), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column(
            "opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("family_id", name=op.f("pk_cases")),
    )


def downgrade() -> None:
    op.drop_table("cases")
    drop_bus_tables()
