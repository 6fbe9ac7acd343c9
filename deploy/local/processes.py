"""A small process supervisor: start, wait until ready, prefix logs, restart on crash, stop.

Threads, not asyncio, so the same supervisor serves `make run` and synchronous pytest
fixtures. Children run in their own session (Ctrl-C reaches only the launcher, which stops
them in order) and receive SIGTERM if the launcher dies, so none is ever left orphaned.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ReadyCheck = Callable[[], bool]

_PR_SET_PDEATHSIG = 1
_COLORS = ("36", "32", "33", "35", "34", "96", "92", "93", "95", "94", "91")


class StartupError(RuntimeError):
    """A process did not come up; the message is one line for the user."""


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    # False: `env` is the child's whole environment, nothing inherited from ours.
    inherit_env: bool = True
    cwd: Path | None = None
    user: str | None = None
    ready: ReadyCheck | None = None
    ready_timeout: float = 60.0
    restart: bool = True
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 10.0
    description: str = ""
    # Higher tiers stop first, all of a tier at once: our processes before the servers.
    tier: int = 1


def _die_with_parent(stop_signal: int) -> Callable[[], None]:
    def preexec() -> None:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, stop_signal)

    return preexec


class ManagedProcess:
    def __init__(self, spec: ProcessSpec, supervisor: Supervisor, color: str) -> None:
        self.spec = spec
        self.supervisor = supervisor
        self.color = color
        self.popen: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.recent: deque[str] = deque(maxlen=40)
        self.stopping = False
        self.started_at = 0.0
        self.restart_at: float | None = None  # when the monitor starts it again after a crash

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def spawn(self) -> None:
        base = os.environ if self.spec.inherit_env else {}
        env = {**base, **self.spec.env, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(
            self.spec.argv,
            cwd=self.spec.cwd,
            env=env,
            user=self.spec.user,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(self.spec.stop_signal),
        )
        self.started_at = time.monotonic()
        assert self.popen.stdout is not None
        threading.Thread(
            target=self._pump, args=(self.popen.stdout,), name=f"log-{self.spec.name}", daemon=True
        ).start()

    def _pump(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            self.recent.append(line)
            self.supervisor.emit(self, line)
        stream.close()

    def wait_ready(self) -> None:
        self._wait_ready()
        elapsed = time.monotonic() - self.started_at
        self.supervisor.say(f"{self.spec.description or self.spec.name} listo en {elapsed:.1f} s")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.spec.ready_timeout
        while time.monotonic() < deadline:
            if not self.alive():
                code = self.popen.returncode if self.popen else None
                raise StartupError(
                    f"{self.spec.name} terminó al iniciar (código {code}): {self.last_words()}"
                )
            if self.spec.ready is None:
                if time.monotonic() - self.started_at > 1.0:
                    return
            elif self._ready_quietly():
                return
            time.sleep(0.1)
        raise StartupError(
            f"{self.spec.name} no quedó listo en {self.spec.ready_timeout:.0f} s: "
            f"{self.last_words()}"
        )

    def _ready_quietly(self) -> bool:
        assert self.spec.ready is not None
        try:
            return self.spec.ready()
        except Exception:
            return False

    def last_words(self) -> str:
        lines = [line for line in self.recent if line.strip()]
        return lines[-1][:300] if lines else "sin mensajes"

    def signal(self, sig: int) -> None:
        if self.alive() and self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, sig)

    def stop(self) -> None:
        self.request_stop()
        self.wait_stopped()

    def request_stop(self) -> None:
        self.stopping = True
        self.signal(self.spec.stop_signal)

    def wait_stopped(self) -> None:
        if self.popen is None:
            return
        try:
            self.popen.wait(timeout=self.spec.stop_timeout)
        except subprocess.TimeoutExpired:
            self.supervisor.say(f"{self.spec.name} no se detuvo a tiempo; se fuerza")
            self.signal(signal.SIGKILL)
            self.popen.wait(timeout=5)


class Supervisor:
    """Starts processes in order, restarts the ones that crash, stops all in reverse order."""

    def __init__(self, logs_dir: Path, *, echo: bool = True) -> None:
        self.logs_dir = logs_dir
        self.echo = echo
        self.processes: dict[str, ManagedProcess] = {}
        self._lock = threading.Lock()
        self._log_files: dict[str, IO[str]] = {}
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._colored = sys.stdout.isatty()
        logs_dir.mkdir(parents=True, exist_ok=True)

    def emit(self, process: ManagedProcess, line: str) -> None:
        name = process.spec.name
        with self._lock:
            log_file = self._log_files.get(name)
            if log_file is None:
                log_file = open(self.logs_dir / f"{name}.log", "a", encoding="utf-8")  # noqa: SIM115
                self._log_files[name] = log_file
            log_file.write(line + "\n")
            log_file.flush()
            if self.echo:
                prefix = f"{name:<16}|"
                if self._colored:
                    prefix = f"\x1b[{process.color}m{prefix}\x1b[0m"
                print(f"{prefix} {line}", flush=True)

    def say(self, message: str) -> None:
        """A launcher message, in Spanish, on the terminal."""
        if self.echo:
            print(f"{'familias':<16}| {message}", flush=True)

    def start(self, spec: ProcessSpec) -> ManagedProcess:
        process = self.spawn_only(spec)
        process.wait_ready()
        return process

    def spawn_only(self, spec: ProcessSpec) -> ManagedProcess:
        """Start without waiting for readiness; call `wait_ready()` on the result."""
        color = _COLORS[len(self.processes) % len(_COLORS)]
        process = ManagedProcess(spec, self, color)
        self.processes[spec.name] = process
        process.spawn()
        self._ensure_monitor()
        return process

    def _ensure_monitor(self) -> None:
        if self._monitor is None:
            self._monitor = threading.Thread(target=self._watch, name="supervisor", daemon=True)
            self._monitor.start()

    def _watch(self) -> None:
        """Restart what crashed, each after its own back-off: one process failing again and
        again never delays another's restart."""
        while not self._stopping.wait(0.5):
            for process in list(self.processes.values()):
                if process.stopping or process.alive() or process.popen is None:
                    process.restart_at = None
                    continue
                if process.restart_at is not None:
                    if time.monotonic() >= process.restart_at:
                        process.restart_at = None
                        process.spawn()
                    continue
                code = process.popen.returncode
                if not process.spec.restart:
                    self.say(f"{process.spec.name} terminó (código {code}); no se reinicia")
                    process.stopping = True
                    continue
                process.restarts += 1
                delay = min(2 ** min(process.restarts - 1, 5), 30)
                self.say(
                    f"{process.spec.name} terminó inesperadamente (código {code}): "
                    f"{process.last_words()} — se reinicia en {delay} s "
                    f"(reinicio n.º {process.restarts})"
                )
                process.restart_at = time.monotonic() + delay

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Simulate a crash (tests): the monitor restarts the process."""
        self.processes[name].signal(sig)

    def stop_process(self, name: str) -> None:
        self.processes[name].stop()

    def resume_process(self, name: str, *, wait: bool = True) -> None:
        process = self.processes[name]
        # Spawn first: cleared while the old one is still the one it holds, `stopping`
        # would let the monitor see a dead process and start a second copy beside ours.
        process.spawn()
        process.stopping = False
        if wait:
            process.wait_ready()

    def restart_process(self, name: str) -> None:
        self.stop_process(name)
        self.resume_process(name)

    def stop_all(self) -> None:
        self._stopping.set()
        for tier in sorted({p.spec.tier for p in self.processes.values()}, reverse=True):
            group = [p for p in self.processes.values() if p.spec.tier == tier]
            for process in group:
                process.request_stop()
            for process in group:
                process.wait_stopped()
        with self._lock:
            for log_file in self._log_files.values():
                log_file.close()
            self._log_files.clear()
