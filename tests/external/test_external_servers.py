"""The configured-server path: with DATABASE_URL and NATS_URL set, Familias uses those servers.

Runs only when both are set, e.g.
`DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres NATS_URL=nats://127.0.0.1:4222
make test PYTEST_ARGS="-m external"`. Everything it creates carries a unique prefix and is
removed afterwards, so it leaves a shared server as it found it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from deploy.local.stack import LocalStack
from shared.bus.client import Bus
from shared.bus.relay import OutboxRelay
from shared.contracts.envelope import Envelope
from shared.db.engine import asyncpg_dsn
from shared.settings import SERVICES, Settings
from tests.support.data import family_payload
from tests.support.stack import running_app
from tests.support.waiting import eventually

pytestmark = [
    pytest.mark.external,
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("NATS_URL")),
        reason="DATABASE_URL y NATS_URL no están definidas",
    ),
]


@pytest.fixture
async def external(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    tag = uuid4().hex[:8]
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("external"),
        database_prefix=f"ext_{tag}_",
        stream_prefix=f"EXT_{tag.upper()}_",
    )
    yield settings
    server = await asyncpg.connect(asyncpg_dsn(settings.server_database_url))
    try:
        for service in SERVICES:
            name = settings.service_database_name(service)
            await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await server.close()
    bus = await Bus.connect(settings, name="tests-external-cleanup", wait_seconds=5)
    try:
        for stream in await bus.js.streams_info():
            if stream.config.name and stream.config.name.startswith(settings.stream_prefix):
                await bus.js.delete_stream(stream.config.name)
    finally:
        await bus.close()


def test_the_launcher_starts_no_server_of_its_own(external: Settings) -> None:
    assert external.uses_external_postgres
    assert external.uses_external_nats
    bound = {name for name, _port in LocalStack(external, echo=False).ports_to_bind([])}
    assert "PostgreSQL" not in bound
    assert "NATS" not in bound


async def test_a_family_reaches_the_external_stream_through_the_external_database(
    external: Settings,
) -> None:
    from services.intake.main import create_app

    app = create_app(external)
    async with running_app(app) as client:
        payload = family_payload()
        created = await client.post("/v1/families", json=payload)
        assert created.status_code == 201, created.text

        bus = await Bus.connect(external, name="tests-external", wait_seconds=5)
        relay = OutboxRelay(
            bus,
            "intake",
            external.service_database_url("intake"),
            batch_size=100,
            poll_seconds=0.2,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            subscription = await bus.js.subscribe(
                bus.subject("intake.evt.>"),
                ordered_consumer=True,
                config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
            )
            message = await eventually(lambda: subscription.next_msg(timeout=5), timeout=30)
            event = Envelope.model_validate_json(message.data)
            assert event.subject == "intake.evt.v1.family.referred"
            assert event.data["family_code"] == payload["family_code"]
            await subscription.unsubscribe()
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)
            await bus.close()

    database = await asyncpg.connect(asyncpg_dsn(external.service_database_url("intake")))
    try:
        stored = await database.fetchval(
            "SELECT count(*) FROM families WHERE family_code = $1", payload["family_code"]
        )
        assert stored == 1
    finally:
        await database.close()
