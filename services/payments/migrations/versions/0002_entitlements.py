"""entitlements

Revision ID: 0002
Revises: 0001

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entitlements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("concept", sa.String(length=40), nullable=False),
        sa.Column("plan_month", sa.Integer(), nullable=False),
        sa.Column("tranche", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("tariff_effective_from", sa.Date(), nullable=False),
        sa.Column("tariff_source", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlements")),
        sa.UniqueConstraint(
            "family_id", "period", "concept", name=op.f("uq_entitlements_family_id_period_concept")
        ),
    )
    op.create_index(op.f("ix_entitlements_family_id"), "entitlements", ["family_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_entitlements_family_id"), table_name="entitlements")
    op.drop_table("entitlements")
