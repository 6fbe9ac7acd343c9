"""Session fixtures: real PostgreSQL, NATS and Temporal on free ports, started once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from deploy.local.stack import LocalStack
from shared.bus.client import Bus
from shared.settings import Settings
from tests.support.stack import start_test_servers, test_settings


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """PostgreSQL, NATS and Temporal for the whole test session."""
    stack = start_test_servers(test_settings(tmp_path_factory.mktemp("stack")))
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
