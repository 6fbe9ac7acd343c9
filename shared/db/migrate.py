"""Alembic per service, run at start under an advisory lock so replicas do not race."""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config(migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return config


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade_to_head(engine: AsyncEngine, migrations_dir: Path) -> None:
    config = alembic_config(migrations_dir)
    lock_id = zlib.crc32(str(engine.url.database).encode())
    async with engine.begin() as connection:
        await connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        await connection.run_sync(_upgrade, config)
