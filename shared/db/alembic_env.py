"""The body of every service's `migrations/env.py`: online migrations on a given connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData


def run_migrations(target_metadata: MetaData) -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "Las migraciones se ejecutan al iniciar cada servicio (shared.db.migrate)."
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()
