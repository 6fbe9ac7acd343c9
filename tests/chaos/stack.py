"""The whole system for a chaos run: every server and every one of our processes a separate
OS process, on free ports, in a temporary data folder, and the means to break them.

The launcher's `LocalStack` and `Supervisor` (deploy/local) start everything exactly as
`make run` does, with production's durability (never `synchronous_commit=off`). A crash is
`kill -9` with the process held down (the supervisor does not restart it behind our back)
until the fault's plan says it comes back; a server's children (PostgreSQL's backends) are
waited for, so a restart never finds the old postmaster still there (STACK.md).

In lifecycle mode Temporal is the time-skipping test server, started by this process as
the test fixtures start it; the worker, bridge and supervision point at it and the services'
clock follows it through `Settings.clock_offset_file` (shared/clock.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from deploy.local.ports import free_ports
from deploy.local.stack import BACKGROUND, HTTP_SERVICES, LocalStack
from shared.settings import Settings
from shared.temporal import connect_temporal
from tests.support.stack import time_skipping_environment

SERVERS = ("postgresql", "nats", "temporal")
RELAYS = ("relay-intake", "relay-plans", "relay-payments")
# An outage must be able to outlast JetStream's duplicate window (the issue: ~20 s).
DUPLICATE_WINDOW_SECONDS = 20.0
# The bank's answer to a POST counts as lost after this; the simulator's "late answer"
# fault waits longer.
BANK_TIMEOUT_SECONDS = 3.0


def chaos_settings(data_dir: Path, **overrides: Any) -> Settings:
    ports = free_ports(11)
    base = Settings(
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
        log_level="INFO",
        nats_duplicate_window_seconds=DUPLICATE_WINDOW_SECONDS,
        relay_poll_seconds=0.5,
        heartbeat_seconds=1.0,
        payments_poll_seconds=0.5,
        bank_delay_seconds=0.3,
        bank_timeout_seconds=BANK_TIMEOUT_SECONDS,
        # The families are fictitious and many: no Apoyo Familiar caseload limit in the way.
        caseload_max_active=500,
        # Many files per cycle (a thousand orders make ten): building, sending and reading
        # batches in parallel is where a crash strands money.
        payments_batch_size=100,
    )
    return base.model_copy(update=overrides)


@dataclass
class Outage:
    """A process held down by a fault, and the pids that had to be gone."""

    name: str
    pids: list[int]
    at: float


class ChaosStack:
    """Servers and processes of one run, and the fault primitives over them."""

    def __init__(self, settings: Settings, *, project_dir: Path) -> None:
        self.settings = settings
        self.local = LocalStack(
            settings, echo=False, fast_postgres=False, temporal_ui=False, project_dir=project_dir
        )
        self.env: WorkflowEnvironment | None = None
        self.offset_file: Path | None = settings.clock_offset_file
        self._temporal: Client | None = None
        self.held: set[str] = set()  # processes a fault holds down until it revives them
        # What the supervisor says (crashes, restarts), kept beside the processes' logs.
        journal = settings.logs_dir / "supervisor.log"
        journal.parent.mkdir(parents=True, exist_ok=True)

        def say(message: str) -> None:
            with journal.open("a", encoding="utf-8") as out:
                out.write(f"{datetime.now(UTC):%H:%M:%S.%f} {message}\n")

        self.local.supervisor.say = say  # type: ignore[method-assign]
        self.say = say

    @property
    def supervisor(self) -> Any:
        return self.local.supervisor

    @classmethod
    async def start(
        cls, data_dir: Path, *, time_skipping: bool, project_dir: Path, **overrides: Any
    ) -> ChaosStack:
        await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
        env: WorkflowEnvironment | None = None
        if time_skipping:
            env = await time_skipping_environment()
            overrides |= {
                "temporal_address": env.client.service_client.config.target_host,
                "temporal_namespace": env.client.namespace,
                "clock_offset_file": data_dir / "reloj-desfase-segundos",
                # The test server would keep a killed worker's sticky tasks forever.
                "worker_max_cached_workflows": 0,
            }
        stack = cls(chaos_settings(data_dir, **overrides), project_dir=project_dir)
        stack.env = env
        try:
            if env is not None:
                await stack.follow_test_server()
            stack.local.preflight([*HTTP_SERVICES, *BACKGROUND])
            await asyncio.to_thread(stack.local.start_servers)
            await asyncio.to_thread(stack.local.start_processes, HTTP_SERVICES)
            await asyncio.to_thread(stack.local.start_processes, BACKGROUND)
        except BaseException:
            await stack.stop()
            raise
        return stack

    async def stop(self) -> None:
        await asyncio.to_thread(self.local.stop)
        if self.env is not None:
            await self.env.shutdown()

    # --- Temporal -----------------------------------------------------------------------

    async def temporal(self) -> Client:
        if self.env is not None:
            return self.env.client
        if self._temporal is None:
            self._temporal = await connect_temporal(self.settings, wait_seconds=60)
        return self._temporal

    async def follow_test_server(self) -> timedelta:
        """Write how far the test server's clock is ahead of the real one; services follow."""
        assert self.env is not None
        assert self.offset_file is not None
        offset = await self.env.get_current_time() - datetime.now(UTC)
        temporary = self.offset_file.with_name(self.offset_file.name + ".tmp")
        temporary.write_text(f"{offset.total_seconds():.6f}")
        os.replace(temporary, self.offset_file)
        return offset

    async def now(self) -> datetime:
        """The system's "now": the test server's in lifecycle mode, the real one otherwise."""
        if self.env is not None:
            return await self.env.get_current_time()
        return datetime.now(UTC)

    async def skip_to(self, moment: datetime) -> None:
        """Skip the test server's clock to `moment` (timers fire on the way); services follow."""
        assert self.env is not None
        for attempt in range(1, 11):
            ahead = moment - await self.env.get_current_time()
            if ahead <= timedelta(0):
                break
            started = time.monotonic()
            try:
                await self.env.sleep(ahead)
                break
            except RPCError as exc:
                # The server skips only while nothing holds time still (a task a killed
                # worker had started holds it until its timeout): ask again.
                self.say(
                    f"caos: salto del reloj interrumpido tras {time.monotonic() - started:.0f} s "
                    f"(intento {attempt}): {exc}"
                )
        await self.follow_test_server()

    # --- processes ----------------------------------------------------------------------

    def pid(self, name: str) -> int | None:
        process = self.supervisor.processes.get(name)
        return process.pid if process is not None and process.alive() else None

    def alive(self, name: str) -> bool:
        process = self.supervisor.processes.get(name)
        return bool(process is not None and process.alive())

    def crash(self, name: str) -> Outage:
        """kill -9, and hold the process down until `revive`; waits until it and its
        children are gone."""
        process = self.supervisor.processes[name]
        process.stopping = True  # the supervisor's monitor must not restart it meanwhile
        self.held.add(name)
        pids = _tree(process.pid)
        self.say(f"caos: kill -9 de {name} {pids}")
        process.signal(signal.SIGKILL)
        if process.popen is not None:
            process.popen.wait(timeout=30)
        _wait_gone(pids)
        return Outage(name, pids, time.monotonic())

    def stop_gracefully(self, name: str) -> Outage:
        process = self.supervisor.processes[name]
        pids = _tree(process.pid)
        self.held.add(name)
        self.say(f"caos: {name} detenido {pids}")
        self.supervisor.stop_process(name)
        _wait_gone(pids)
        return Outage(name, pids, time.monotonic())

    def revive(self, name: str, *, wait: bool = True) -> None:
        """Start it again on the same data; while its dependencies are down it may crash
        at start, and then the supervisor restarts it with back-off, as in `make run`."""
        self.held.discard(name)
        if not self.alive(name):
            self.supervisor.resume_process(name, wait=False)
        self.say(f"caos: {name} iniciado de nuevo (pid {self.pid(name)})")
        if wait:
            self.supervisor.processes[name].wait_ready()

    async def heal(self, timeout: float = 180) -> None:
        """Every process up and ready, but those a fault still holds down."""
        deadline = time.monotonic() + timeout
        for name, process in list(self.supervisor.processes.items()):
            if name in self.held:
                continue
            if process.stopping and process.popen is not None and process.popen.poll() is not None:
                self.revive(name, wait=False)
        for name, process in list(self.supervisor.processes.items()):
            while name not in self.held:
                if process.alive() and await asyncio.to_thread(process._ready_quietly):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} no volvió a quedar listo: {process.last_words()}")
                await asyncio.sleep(0.3)

    def restarts(self, name: str) -> int:
        return int(self.supervisor.processes[name].restarts)

    # --- HTTP ---------------------------------------------------------------------------

    def http(self, service: str, timeout: float = 30) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.settings.service_url(service),
            timeout=timeout,
            headers={"X-Familias-Usuario": "caos.prueba"},
        )

    @property
    def bank_dir(self) -> Path:
        return self.settings.data_dir / "banco"


def _tree(pid: int | None) -> list[int]:
    if pid is None:
        return []
    try:
        return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
    except psutil.Error:
        return [pid]


def _wait_gone(pids: list[int], timeout: float = 30) -> None:
    """Wait until none of `pids` runs (zombies of our own children count as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    running.append(pid)
            except psutil.Error:
                continue
        if not running:
            return
        time.sleep(0.05)
    raise RuntimeError(f"los procesos {pids} siguen vivos tras {timeout} s")
