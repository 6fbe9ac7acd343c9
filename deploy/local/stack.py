"""The whole local stack: embedded servers (unless external ones are configured) and our
processes, each supervised. Used by `make run` and by the test fixtures."""

from __future__ import annotations

import os
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from deploy.local.ports import taken_ports
from deploy.local.processes import ProcessSpec, StartupError, Supervisor
from deploy.local.servers import nats_spec, postgres_spec, temporal_spec
from shared.process import ready_file
from shared.settings import Settings, child_environment

HTTP_SERVICES = ("intake", "plans", "payments", "bank", "supervision")
BACKGROUND = ("worker", "bridge", "relay-intake", "relay-plans", "relay-payments")
ALL_PROCESSES = (*HTTP_SERVICES, *BACKGROUND)

PROCESS_MODULES = {
    "intake": ["-m", "services.intake"],
    "plans": ["-m", "services.plans"],
    "payments": ["-m", "services.payments"],
    "bank": ["-m", "services.payments.bank.simulator"],
    "supervision": ["-m", "services.supervision"],
    "worker": ["-m", "workflows.worker"],
    "bridge": ["-m", "workflows.bridge"],
    "relay-intake": ["-m", "shared.bus.relay", "intake"],
    "relay-plans": ["-m", "shared.bus.relay", "plans"],
    "relay-payments": ["-m", "shared.bus.relay", "payments"],
}

LABELS = {
    "postgresql": "PostgreSQL",
    "nats": "NATS JetStream",
    "temporal": "Temporal",
    "intake": "Servicio de ingreso",
    "plans": "Servicio de planes",
    "payments": "Servicio de pagos",
    "bank": "Banco simulado (archivos ISO 20022)",
    "supervision": "Consola de supervisión",
    "worker": "Worker de Temporal",
    "bridge": "Puente bus → Temporal",
    "relay-intake": "Relay del outbox de ingreso",
    "relay-plans": "Relay del outbox de planes",
    "relay-payments": "Relay del outbox de pagos",
}


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class LocalStack:
    def __init__(
        self,
        settings: Settings,
        *,
        echo: bool = True,
        fast_postgres: bool = False,
        temporal_ui: bool = True,
        project_dir: Path | None = None,
    ) -> None:
        self.settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
        self.supervisor = Supervisor(self.settings.logs_dir, echo=echo)
        self.fast_postgres = fast_postgres
        self.temporal_ui = temporal_ui
        self.project_dir = project_dir or Path.cwd()
        self.stopped = threading.Event()

    def ports_to_bind(self, processes: Iterable[str]) -> list[tuple[str, int]]:
        s = self.settings
        wanted: list[tuple[str, int]] = []
        if not s.uses_external_postgres:
            wanted.append(("PostgreSQL", s.postgres_port))
        if not s.uses_external_nats:
            wanted += [("NATS", s.nats_port), ("monitor de NATS", s.nats_monitor_port)]
        if not s.uses_external_temporal:
            wanted.append(("Temporal", s.temporal_port))
            if self.temporal_ui:
                wanted.append(("interfaz web de Temporal", s.temporal_ui_port))
        for name in processes:
            if name in HTTP_SERVICES:
                wanted.append((LABELS[name], getattr(s, f"{name}_port")))
        return wanted

    def preflight(self, processes: Iterable[str] = ALL_PROCESSES) -> None:
        taken = taken_ports(self.ports_to_bind(processes), self.settings.host)
        if taken:
            listed = ", ".join(f"{port} ({name})" for name, port in taken)
            raise StartupError(
                f"Puerto ya en uso: {listed}. Detenga lo que lo ocupa o cambie el puerto con "
                "las variables FAMILIAS_*_PORT"
            )

    def start_servers(self, *, temporal: bool = True) -> None:
        data = self.settings.data_dir
        if not self.settings.uses_external_postgres:
            self.supervisor.start(
                postgres_spec(self.settings, data / "postgres", fast=self.fast_postgres)
            )
        if not self.settings.uses_external_nats:
            self.supervisor.start(nats_spec(self.settings, data / "nats"))
        if temporal and not self.settings.uses_external_temporal:
            self.supervisor.start(
                temporal_spec(
                    self.settings, data / "temporal" / "temporal.sqlite", ui=self.temporal_ui
                )
            )

    def process_spec(self, name: str) -> ProcessSpec:
        if name in HTTP_SERVICES:
            port = getattr(self.settings, f"{name}_port")
            url = f"http://{self.settings.host}:{port}/readyz"

            def ready() -> bool:
                return _http_ok(url)

        else:
            marker = ready_file(self.settings, name)

            def ready() -> bool:
                process = self.supervisor.processes.get(name)
                return process is not None and marker.read_text() == str(process.pid)

        return ProcessSpec(
            name=name,
            argv=[sys.executable, *PROCESS_MODULES[name]],
            env=self.child_env(),
            inherit_env=False,
            cwd=self.project_dir,
            ready=ready,
            ready_timeout=90,
            description=LABELS.get(name, name),
            tier=1 if name in HTTP_SERVICES else 2,
        )

    def child_env(self) -> dict[str, str]:
        env = child_environment(self.settings, os.environ)
        if self.settings.log_format == "auto" and self.supervisor.echo and sys.stdout.isatty():
            # Their output is a pipe to us, but a person reads it on the terminal.
            env["FAMILIAS_LOG_FORMAT"] = "console"
        return env

    def start_processes(self, names: Iterable[str] = ALL_PROCESSES) -> None:
        """Start several at once (Python start-up dominates), then wait for each."""
        started = [self.supervisor.spawn_only(self.process_spec(name)) for name in names]
        for process in started:
            process.wait_ready()

    def start(self, processes: Iterable[str] = ALL_PROCESSES) -> None:
        names = list(processes)
        self.preflight(names)
        try:
            self.start_servers()
            # Services create and migrate their databases; relays and the bridge need them.
            self.start_processes([n for n in names if n in HTTP_SERVICES])
            self.start_processes([n for n in names if n not in HTTP_SERVICES])
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.supervisor.stop_all()
        self.stopped.set()

    def urls(self) -> list[tuple[str, str]]:
        s = self.settings
        rows = [
            ("Consola de supervisión", f"http://{s.host}:{s.supervision_port}/"),
            ("API de ingreso", f"http://{s.host}:{s.intake_port}/docs"),
            ("API de planes", f"http://{s.host}:{s.plans_port}/docs"),
            ("API de pagos", f"http://{s.host}:{s.payments_port}/docs"),
            ("Banco simulado", f"http://{s.host}:{s.bank_port}/docs"),
        ]
        if not s.uses_external_temporal and self.temporal_ui:
            rows.append(("Temporal (interfaz web)", f"http://{s.host}:{s.temporal_ui_port}/"))
        rows.append(("Temporal (gRPC)", s.effective_temporal_address))
        rows.append(("NATS", s.effective_nats_url))
        if not s.uses_external_postgres:
            rows.append(("PostgreSQL", f"postgresql://postgres@{s.host}:{s.postgres_port}/"))
        return rows
