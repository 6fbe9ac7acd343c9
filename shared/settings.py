"""Settings shared by every process, read from `FAMILIAS_*` environment variables.

`DATABASE_URL`, `NATS_URL` and `TEMPORAL_ADDRESS` (without prefix) point the whole stack at
servers that already run; without them the local launcher starts its own embedded servers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

ServiceName = Literal["intake", "plans", "payments"]
SERVICES: tuple[ServiceName, ...] = ("intake", "plans", "payments")

DEFAULT_POSTGRES_PORT = 15432
DEFAULT_NATS_PORT = 14222
DEFAULT_TEMPORAL_PORT = 17233


class Settings(BaseSettings):
    """The one settings class. Every port, URL and path of the stack lives here."""

    model_config = SettingsConfigDict(
        env_prefix="FAMILIAS_", env_file=".env", extra="ignore", validate_default=True
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"

    postgres_port: int = Field(DEFAULT_POSTGRES_PORT, ge=1, le=65535)
    nats_port: int = Field(DEFAULT_NATS_PORT, ge=1, le=65535)
    nats_monitor_port: int = Field(18222, ge=1, le=65535)
    temporal_port: int = Field(DEFAULT_TEMPORAL_PORT, ge=1, le=65535)
    temporal_ui_port: int = Field(18233, ge=1, le=65535)

    supervision_port: int = Field(8000, ge=1, le=65535)
    intake_port: int = Field(8001, ge=1, le=65535)
    plans_port: int = Field(8002, ge=1, le=65535)
    payments_port: int = Field(8003, ge=1, le=65535)
    bank_port: int = Field(8004, ge=1, le=65535)
    # Where the others reach each service when it is not on `host` (containers, hosts).
    supervision_url: str | None = None
    intake_url: str | None = None
    plans_url: str | None = None
    payments_url: str | None = None
    bank_url: str | None = None
    # The bank simulator: seconds between receiving a file and answering it (pain.002).
    bank_delay_seconds: float = Field(1.0, ge=0)

    database_url: str | None = Field(
        None, validation_alias=AliasChoices("DATABASE_URL", "FAMILIAS_DATABASE_URL")
    )
    database_prefix: str = ""
    nats_url: str | None = Field(
        None, validation_alias=AliasChoices("NATS_URL", "FAMILIAS_NATS_URL")
    )
    temporal_address: str | None = Field(
        None, validation_alias=AliasChoices("TEMPORAL_ADDRESS", "FAMILIAS_TEMPORAL_ADDRESS")
    )
    temporal_namespace: str = "familias"
    temporal_task_queue: str = "familias"
    # Workflows the worker keeps in memory between their tasks (sticky execution; the SDK's
    # default). 0 turns sticky execution off: Temporal's time-skipping test server never hands
    # a killed worker's sticky tasks to another worker, so tests/chaos kills workers with 0.
    worker_max_cached_workflows: int = Field(1000, ge=0)
    stream_prefix: str = ""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "console", "json"] = "auto"

    request_timeout_seconds: float = Field(5.0, gt=0)
    # Requests one subscription (one subject, one process) answers at once; the next wait
    # in NATS's pending queue (back-pressure), where a requester's timeout ends the wait.
    bus_serve_concurrency: int = Field(8, ge=1, le=256)
    # JetStream drops a republished event (same Nats-Msg-Id) within this window. Long enough
    # to cover a relay restart between publishing and marking rows sent; the chaos suite
    # shortens it (~20 s) so an outage can outlast it (tests/chaos/README.md).
    nats_duplicate_window_seconds: float = Field(15 * 60, gt=0)
    relay_batch_size: int = Field(1000, ge=1, le=10_000)
    relay_poll_seconds: float = Field(1.0, gt=0)
    heartbeat_seconds: float = Field(5.0, gt=0)
    # Event consumers (shared/bus/consumer.py). A failing event comes again after
    # base · 2^(attempt − 1) seconds, at most `…_max_seconds`. An unexpected error goes to
    # the dead-letter stream at its `consumer_max_deliveries`-th attempt; a transient one
    # (a dependency down) only once it has also lasted `…_transient_patience_seconds`.
    consumer_max_deliveries: int = Field(5, ge=1, le=1000)
    consumer_retry_base_seconds: float = Field(1.0, gt=0)
    consumer_retry_max_seconds: float = Field(60.0, gt=0)
    consumer_transient_patience_seconds: float = Field(3600.0, ge=0)
    # JetStream redelivers an event not acknowledged within this time (a crashed consumer).
    consumer_ack_wait_seconds: float = Field(30.0, gt=0)
    timezone: str = "America/Santiago"
    # Runs on Temporal's time-skipping test server only (tests/chaos): a file holding how many
    # seconds that server's clock is ahead of the real one; the services' "now" follows it
    # (shared/clock.py). Unset, as in production: the real clock.
    clock_offset_file: Path | None = None
    # Policy (DOMAIN.md §4): most active families one Apoyo Familiar may carry.
    caseload_max_active: int = Field(40, ge=1, le=500)
    # Policy (DOMAIN.md §2): days after the commitment to complete the diagnosis.
    diagnosis_deadline_days: int = Field(30, ge=1, le=365)
    # A declared health emergency: remote sessions count while it lasts (pandemic practice).
    health_emergency: bool = False
    # Payments policy (DOMAIN.md §3; not published rules, so settings with defaults).
    # Transfers per pain.001 file; set-based SQL builds each batch in one statement.
    payments_batch_size: int = Field(1000, ge=1, le=10_000)
    # Rejected transfers in a row before the payee is moved to the in-person channel.
    payments_max_rejects: int = Field(2, ge=1, le=12)
    # Months an in-person payment waits to be claimed before it expires (renounced).
    payments_in_person_expiry_months: int = Field(6, ge=1, le=24)
    # Pay the differences a late tariff law leaves for months already registered.
    payments_pay_reliquidation: bool = False
    # Day of the month the Schedule starts that month's payment cycle.
    payments_cycle_day: int = Field(20, ge=1, le=28)
    # The bank may take its time with a file: how long a submission waits for its receipt.
    bank_timeout_seconds: float = Field(30.0, gt=0)
    # Files payments hands to the bank at once (its submitter works apart from the cycle's
    # requests, so a slow bank holds no NATS request open).
    payments_bank_concurrency: int = Field(8, ge=1, le=64)
    # A batch built and not yet accepted by the bank for longer than this is flagged (the
    # cycle's progress, the cuadratura): it should have been sent minutes after building.
    payments_unsent_alert_minutes: float = Field(30.0, ge=0)
    # A transfer sent without a final answer from the bank for longer than this is flagged.
    payments_in_flight_alert_hours: float = Field(72.0, ge=0)
    # Seconds between two readings of the bank's answers while a cycle waits.
    payments_poll_seconds: float = Field(30.0, gt=0)
    # Who pays: the debtor of every pain.001 (name, RUT, bank, account).
    payments_debtor_name: str = "Programa Familias"
    payments_debtor_rut: str = "61979440-0"
    payments_debtor_bank: str = "012"
    payments_debtor_account: str = "9000000001"

    @field_validator("database_url")
    @classmethod
    def _database_url_is_postgres(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = make_url(value)
        if not url.drivername.startswith("postgres"):
            raise ValueError("debe ser una URL postgresql://")
        return value

    @field_validator("nats_url")
    @classmethod
    def _nats_url_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("nats://", "tls://")):
            raise ValueError("debe empezar con nats:// o tls://")
        return value

    @property
    def uses_external_postgres(self) -> bool:
        return self.database_url is not None

    @property
    def uses_external_nats(self) -> bool:
        return self.nats_url is not None

    @property
    def uses_external_temporal(self) -> bool:
        return self.temporal_address is not None

    @property
    def server_database_url(self) -> str:
        """URL of the PostgreSQL server's maintenance database (asyncpg driver)."""
        if self.database_url is not None:
            url = make_url(self.database_url).set(drivername="postgresql+asyncpg")
        else:
            url = make_url(
                f"postgresql+asyncpg://postgres@{self.host}:{self.postgres_port}/postgres"
            )
        return url.render_as_string(hide_password=False)

    def service_database_name(self, service: ServiceName) -> str:
        return f"{self.database_prefix}{service}"

    def service_database_url(self, service: ServiceName) -> str:
        """Each service owns one database on the server, named after it."""
        url = make_url(self.server_database_url).set(database=self.service_database_name(service))
        return url.render_as_string(hide_password=False)

    @property
    def effective_nats_url(self) -> str:
        return self.nats_url or f"nats://{self.host}:{self.nats_port}"

    @property
    def effective_temporal_address(self) -> str:
        return self.temporal_address or f"{self.host}:{self.temporal_port}"

    def service_url(self, service: str) -> str:
        """Base URL of an HTTP process: a service, or `bank` (the bank gateway)."""
        configured: str | None = getattr(self, f"{service}_url")
        if configured:
            return configured.rstrip("/")
        port: int = getattr(self, f"{service}_port")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{port}"

    def stream_name(self, owner: str) -> str:
        """JetStream stream of one producer, e.g. `INTAKE_EVT`."""
        return f"{self.stream_prefix}{owner.upper()}_EVT"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"


def load_settings() -> Settings:
    return Settings()


_EXTERNAL_SERVER_VARS = ("DATABASE_URL", "NATS_URL", "TEMPORAL_ADDRESS")


def child_environment(settings: Settings, inherited: Mapping[str, str]) -> dict[str, str]:
    """A child's whole environment: the inherited one without any setting, plus ours.

    A `DATABASE_URL` left in the parent's environment must not reach a child whose
    settings say "embedded server", or the two would talk to different databases.
    """
    kept = {
        key: value
        for key, value in inherited.items()
        if not key.startswith("FAMILIAS_") and key not in _EXTERNAL_SERVER_VARS
    }
    return kept | settings_env(settings)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process read the same settings."""
    env: dict[str, str] = {}
    aliases = {
        "database_url": "DATABASE_URL",
        "nats_url": "NATS_URL",
        "temporal_address": "TEMPORAL_ADDRESS",
    }
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        env[aliases.get(name, f"FAMILIAS_{name.upper()}")] = str(value)
    return env
