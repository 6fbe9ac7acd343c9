"""Each service's migrations build exactly the schema its models declare."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData

from shared.db.engine import create_engine, ensure_database
from shared.db.migrate import upgrade_to_head
from shared.settings import Settings


def differences(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize("service", ["intake", "plans", "payments"])
async def test_migrations_at_head_match_the_models(settings: Settings, service: str) -> None:
    package = importlib.import_module(f"services.{service}")
    models = importlib.import_module(f"services.{service}.models")
    apart = settings.model_copy(update={"database_prefix": "migraciones_"})
    await ensure_database(settings.server_database_url, apart.service_database_name(service))  # type: ignore[arg-type]
    engine = create_engine(apart.service_database_url(service))  # type: ignore[arg-type]
    try:
        await upgrade_to_head(engine, Path(package.__file__ or "").parent / "migrations")
        async with engine.connect() as connection:
            found = await connection.run_sync(differences, models.Base.metadata)
    finally:
        await engine.dispose()
    assert found == []
