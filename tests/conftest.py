"""Session fixtures: real PostgreSQL, NATS and Temporal on free ports, started once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from deploy.local.stack import ALL_PROCESSES, HTTP_SERVICES, LocalStack
from shared.bus.client import Bus
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from tests.support.clock import fixed_clock
from tests.support.stack import (
    free_port_settings,
    running_app,
    start_test_servers,
    time_skipping_environment,
)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """PostgreSQL, NATS and Temporal for the whole test session."""
    stack = start_test_servers(free_port_settings(tmp_path_factory.mktemp("stack")))
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def settings(servers: LocalStack) -> Settings:
    return servers.settings


@pytest.fixture(scope="session")
async def bus(settings: Settings) -> AsyncIterator[Bus]:
    connection = await Bus.connect(settings, name="tests")
    yield connection
    await connection.close()


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path("test-artifacts")
    path.mkdir(exist_ok=True)
    return path


@dataclass
class ServiceUnderTest:
    """A service app running in this process against the session's real servers, on the
    tests' fixed clock (tests/support/clock.py)."""

    client: httpx.AsyncClient
    runtime: ServiceRuntime


@pytest.fixture(scope="session")
def it_settings(settings: Settings) -> Settings:
    """In-process tests get their own databases and streams, apart from the e2e stack's."""
    return settings.model_copy(update={"database_prefix": "it_", "stream_prefix": "IT_"})


@asynccontextmanager
async def _service(app: FastAPI) -> AsyncIterator[ServiceUnderTest]:
    async with running_app(app) as client:
        runtime: ServiceRuntime = app.state.runtime
        runtime.clock = fixed_clock
        yield ServiceUnderTest(client=client, runtime=runtime)


@pytest.fixture(scope="session")
async def intake(it_settings: Settings) -> AsyncIterator[ServiceUnderTest]:
    from services.intake.main import create_app

    async with _service(create_app(it_settings)) as service:
        yield service


@pytest.fixture(scope="session")
async def plans(it_settings: Settings) -> AsyncIterator[ServiceUnderTest]:
    from services.plans.main import create_app

    async with _service(create_app(it_settings)) as service:
        yield service


@pytest.fixture(scope="session")
async def payments(it_settings: Settings) -> AsyncIterator[ServiceUnderTest]:
    from services.payments.main import create_app

    async with _service(create_app(it_settings)) as service:
        yield service


@pytest.fixture(scope="session")
async def it_bus(it_settings: Settings) -> AsyncIterator[Bus]:
    connection = await Bus.connect(it_settings, name="tests-it")
    yield connection
    await connection.close()


@pytest.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server, for long timers (one per session)."""
    env = await time_skipping_environment()
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def system(servers: LocalStack, settings: Settings) -> Iterator[LocalStack]:
    """Every Familias process running as in `make run`, on the session's servers."""
    e2e = settings.model_copy(update={"database_prefix": "e2e_", "stream_prefix": "E2E_"})
    stack = LocalStack(e2e, echo=False)
    try:
        stack.start_processes([n for n in ALL_PROCESSES if n in HTTP_SERVICES])
        stack.start_processes([n for n in ALL_PROCESSES if n not in HTTP_SERVICES])
    except BaseException:
        stack.stop()
        raise
    yield stack
    stack.stop()
