"""Developer tool: `python -m deploy.local.migrations nueva <servicio> "mensaje"`.

Starts a throw-away PostgreSQL, migrates the service's database to head, and lets Alembic
write the next revision from the difference with the service's models. Review it before
committing (the outbox trigger, for one, is written by hand).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import Connection

from deploy.local.ports import free_port
from deploy.local.processes import Supervisor
from deploy.local.servers import postgres_spec
from shared.db.engine import create_engine, ensure_database
from shared.db.migrate import alembic_config, upgrade_to_head
from shared.settings import SERVICES, Settings


def _revision(connection: Connection, migrations: Path, message: str) -> None:
    config = alembic_config(migrations)
    config.attributes["connection"] = connection
    command.revision(config, message=message, autogenerate=True)


async def new_revision(settings: Settings, service: str, message: str) -> None:
    migrations = Path(importlib.import_module(f"services.{service}").__file__ or "").parent
    migrations = migrations / "migrations"
    await ensure_database(settings.server_database_url, service)
    engine = create_engine(settings.service_database_url(service))  # type: ignore[arg-type]
    try:
        await upgrade_to_head(engine, migrations)
        async with engine.begin() as connection:
            await connection.run_sync(_revision, migrations, message)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.migrations")
    parser.add_argument("accion", choices=["nueva"])
    parser.add_argument("servicio", choices=SERVICES)
    parser.add_argument("mensaje")
    args = parser.parse_args()
    importlib.import_module(f"services.{args.servicio}.models")
    with tempfile.TemporaryDirectory(prefix="familias-migraciones-") as tmp:
        settings = Settings(data_dir=Path(tmp), postgres_port=free_port())
        supervisor = Supervisor(Path(tmp) / "logs", echo=False)
        supervisor.start(postgres_spec(settings, Path(tmp) / "postgres", fast=True))
        try:
            asyncio.run(new_revision(settings, args.servicio, args.mensaje))
        finally:
            supervisor.stop_all()


if __name__ == "__main__":
    main()
