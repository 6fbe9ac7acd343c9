"""What every benchmark needs: embedded PostgreSQL and NATS on free ports, and a migrated DB."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy.local.ports import free_ports
from deploy.local.stack import LocalStack
from shared.db.engine import create_engine, ensure_database
from shared.db.migrate import upgrade_to_head
from shared.settings import ServiceName, Settings


def bench_settings(data_dir: Path) -> Settings:
    ports = free_ports(5)
    return Settings(
        _env_file=None,
        database_url=None,
        nats_url=None,
        environment="test",
        data_dir=data_dir,
        postgres_port=ports[0],
        nats_port=ports[1],
        nats_monitor_port=ports[2],
        temporal_port=ports[3],
        plans_port=ports[4],
        temporal_address=None,
        database_prefix="bench_",
        stream_prefix="BENCH_",
        log_format="json",
    )


@contextmanager
def bench_servers(*, temporal: bool = False, **overrides: object) -> Iterator[LocalStack]:
    """PostgreSQL and NATS (and the Temporal dev server) for one run, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="familias-bench-") as tmp:
        settings = bench_settings(Path(tmp)).model_copy(update=overrides)
        stack = LocalStack(settings, echo=False, fast_postgres=True, temporal_ui=False)
        stack.preflight([])
        stack.start_servers(temporal=temporal)
        try:
            yield stack
        finally:
            stack.stop()


async def migrated_database(settings: Settings, service: ServiceName, migrations: Path) -> str:
    """Create and migrate the service's database; returns its URL."""
    await ensure_database(settings.server_database_url, settings.service_database_name(service))
    url = settings.service_database_url(service)
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, migrations)
    finally:
        await engine.dispose()
    return url
