"""Initial schema: the shared bus tables and the service's own.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

from shared.db.migration_ops import create_bus_tables, drop_bus_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_bus_tables()


def downgrade() -> None:
    drop_bus_tables()
