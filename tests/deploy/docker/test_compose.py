"""docker-compose.yml runs the same processes as the local launcher, wired to its servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.local.stack import ALL_PROCESSES, HTTP_SERVICES, PROCESS_MODULES
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_every_process_of_the_launcher_is_a_compose_service_with_the_same_command(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in ALL_PROCESSES:
        assert services[name]["command"] == ["python", *PROCESS_MODULES[name]], name
        assert services[name]["build"]["dockerfile"] == "deploy/docker/Dockerfile"


def test_the_servers_are_the_official_images(compose: dict[str, Any]) -> None:
    images = {name: service.get("image", "") for name, service in compose["services"].items()}
    assert images["postgres"].startswith("postgres:")
    assert images["nats"].startswith("nats:")
    assert images["temporal"].startswith("temporalio/")
    assert images["temporal-ui"].startswith("temporalio/ui:")


def test_the_processes_read_valid_settings_that_point_at_the_compose_servers(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    services = compose["services"]
    environment = services["worker"]["environment"]
    for key, value in environment.items():
        monkeypatch.setenv(key, str(value).replace("${POSTGRES_PASSWORD:-familias}", "familias"))
    settings = Settings()
    assert settings.effective_nats_url == "nats://nats:4222"
    assert settings.effective_temporal_address == "temporal:7233"
    assert settings.service_database_url("intake").endswith("@postgres:5432/intake")
    for name in HTTP_SERVICES:
        port = getattr(settings, f"{name}_port")
        assert settings.service_url(name) == f"http://{name}:{port}"
        assert services[name]["ports"] == [f"{port}:{port}"]
