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
        "families",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_code", sa.String(length=40), nullable=False),
        sa.Column("comuna", sa.String(length=80), nullable=False),
        sa.Column("cohort_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_families")),
        sa.UniqueConstraint(
            "comuna",
            "cohort_year",
            "family_code",
            name=op.f("uq_families_comuna_cohort_year_family_code"),
        ),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("run", sa.String(length=10), nullable=False),
        sa.Column("given_names", sa.String(length=120), nullable=False),
        sa.Column("paternal_surname", sa.String(length=80), nullable=False),
        sa.Column("maternal_surname", sa.String(length=80), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("relation", sa.String(length=40), nullable=True),
        sa.Column("is_household_head", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_members_family_id_families")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    op.create_index(op.f("ix_members_family_id"), "members", ["family_id"], unique=False)
    op.create_index(op.f("ix_members_run"), "members", ["run"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_members_run"), table_name="members")
    op.drop_index(op.f("ix_members_family_id"), table_name="members")
    op.drop_table("members")
    op.drop_table("families")
    drop_bus_tables()
