"""contact attempts, invitation, commitment, exit

Revision ID: 0003
Revises: 0002

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("attempted_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_contact_attempts_family_id_families")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attempts")),
    )
    op.create_index(
        op.f("ix_contact_attempts_family_id"), "contact_attempts", ["family_id"], unique=False
    )
    op.add_column("families", sa.Column("located_on", sa.Date(), nullable=True))
    op.add_column("families", sa.Column("invited_on", sa.Date(), nullable=True))
    op.add_column("families", sa.Column("invitation_accepted", sa.Boolean(), nullable=True))
    op.add_column("families", sa.Column("invitation_reason", sa.Text(), nullable=True))
    op.add_column("families", sa.Column("committed_on", sa.Date(), nullable=True))
    op.add_column("families", sa.Column("commitment_member_id", sa.Uuid(), nullable=True))
    op.add_column(
        "families", sa.Column("commitment_document", sa.String(length=300), nullable=True)
    )
    op.add_column("families", sa.Column("exit_cause", sa.String(length=20), nullable=True))
    op.add_column("families", sa.Column("exited_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("families", "exited_on")
    op.drop_column("families", "exit_cause")
    op.drop_column("families", "commitment_document")
    op.drop_column("families", "commitment_member_id")
    op.drop_column("families", "committed_on")
    op.drop_column("families", "invitation_reason")
    op.drop_column("families", "invitation_accepted")
    op.drop_column("families", "invited_on")
    op.drop_column("families", "located_on")
    op.drop_index(op.f("ix_contact_attempts_family_id"), table_name="contact_attempts")
    op.drop_table("contact_attempts")
