"""Real servers for tests, started by the same launcher `make run` uses, on free ports."""

from __future__ import annotations

import sysconfig
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from deploy.local.ports import free_ports
from deploy.local.stack import LocalStack
from shared.contracts.lifecycle import SEARCH_ATTRIBUTES
from shared.settings import Settings
from shared.temporal import DATA_CONVERTER


def free_port_settings(data_dir: Path) -> Settings:
    ports = free_ports(11)
    # The session's own servers, whatever DATABASE_URL / NATS_URL the shell may have set.
    return Settings(
        _env_file=None,
        database_url=None,
        nats_url=None,
        temporal_address=None,
        environment="test",
        data_dir=data_dir,
        postgres_port=ports[0],
        nats_port=ports[1],
        nats_monitor_port=ports[2],
        temporal_port=ports[3],
        temporal_ui_port=ports[4],
        supervision_port=ports[5],
        intake_port=ports[6],
        plans_port=ports[7],
        payments_port=ports[8],
        bank_port=ports[9],
        log_format="json",
        relay_poll_seconds=0.5,
        heartbeat_seconds=1.0,
        payments_poll_seconds=0.5,
        bank_delay_seconds=0.2,
    )


def start_test_servers(settings: Settings) -> LocalStack:
    stack = LocalStack(settings, echo=False, fast_postgres=True, temporal_ui=False)
    stack.preflight([])
    try:
        stack.start_servers()
    except BaseException:
        stack.stop()
        raise
    return stack


@asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A service app in this process, lifespan included, behind an httpx client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def time_skipping_environment() -> WorkflowEnvironment:
    """Temporal's time-skipping test server from its wheel (never downloaded)."""
    binary = Path(sysconfig.get_path("scripts")) / "temporal-test-server"
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(binary), data_converter=DATA_CONVERTER
    )
    # The test server does not know custom search attributes until told (STACK.md).
    kinds = {
        "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
        "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    }
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={name: kinds[kind] for name, kind in SEARCH_ATTRIBUTES.items()},
        )
    )
    return env
