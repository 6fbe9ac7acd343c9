from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.settings import Settings, settings_env


def test_defaults_avoid_the_standard_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "NATS_URL", "TEMPORAL_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.postgres_port == 15432
    assert settings.nats_port == 14222
    assert settings.temporal_port == 17233
    assert settings.service_database_url("intake").endswith("@127.0.0.1:15432/intake")


def test_external_servers_are_taken_from_the_unprefixed_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:secret@db.example:5432/postgres")
    monkeypatch.setenv("NATS_URL", "nats://bus.example:4222")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.example:7233")
    settings = Settings()
    assert settings.uses_external_postgres
    assert settings.uses_external_nats
    assert settings.service_database_url("plans") == (
        "postgresql+asyncpg://app:secret@db.example:5432/plans"
    )
    assert settings.effective_nats_url == "nats://bus.example:4222"
    assert settings.effective_temporal_address == "temporal.example:7233"


def test_an_invalid_setting_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAMILIAS_NATS_PORT", "no-es-un-puerto")
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert raised.value.errors()[0]["loc"] == ("nats_port",)


def test_a_database_url_that_is_not_postgres_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/test")
    with pytest.raises(ValidationError, match="postgresql"):
        Settings()


def test_children_read_the_same_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = Settings(data_dir=Path("/srv/familias"), intake_port=9101, stream_prefix="X_")
    for name, value in settings_env(original).items():
        monkeypatch.setenv(name, value)
    assert Settings() == original
