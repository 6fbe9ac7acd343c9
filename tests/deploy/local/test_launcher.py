"""`make run`'s launcher: clear one-line failures, no orphans, crashed processes restarted."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from deploy.local.ports import free_ports
from deploy.local.processes import ProcessSpec, StartupError, Supervisor
from deploy.local.stack import LocalStack
from shared.settings import Settings

PROJECT = Path(__file__).resolve().parents[3]


def launcher_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    ports = free_ports(10)
    names = [
        "POSTGRES_PORT",
        "NATS_PORT",
        "NATS_MONITOR_PORT",
        "TEMPORAL_PORT",
        "TEMPORAL_UI_PORT",
        "SUPERVISION_PORT",
        "INTAKE_PORT",
        "PLANS_PORT",
        "PAYMENTS_PORT",
        "BANK_PORT",
    ]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "NATS_URL", "TEMPORAL_ADDRESS")
    }
    env |= {f"FAMILIAS_{name}": str(port) for name, port in zip(names, ports, strict=True)}
    env |= {"FAMILIAS_DATA_DIR": str(tmp_path / "data")}
    return env | overrides


def processes_using(path: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(str(path) in part for part in process.info["cmdline"] or []):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def no_process_left_using(path: Path, timeout: float = 10) -> bool:
    """The launcher's children may take a moment to be reaped after it exits."""
    deadline = time.monotonic() + timeout
    while processes_using(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    return processes_using(path) == []


def run_launcher(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy.local", "run", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_preflight_names_the_taken_port_and_what_needed_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = LocalStack(Settings(data_dir=tmp_path, intake_port=port), echo=False)
        with pytest.raises(StartupError, match=f"{port} \\(Servicio de ingreso\\)"):
            stack.preflight()


def test_a_taken_port_stops_make_run_with_one_line_and_no_process_left(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = launcher_env(tmp_path, FAMILIAS_TEMPORAL_PORT=str(port))
        result = run_launcher(env)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1
    assert f"{port} (Temporal)" in errors[0]
    assert processes_using(tmp_path) == []


def test_a_server_that_does_not_come_up_is_named_and_the_others_are_stopped(tmp_path: Path) -> None:
    env = launcher_env(tmp_path)
    store = tmp_path / "data" / "nats"
    store.mkdir(parents=True)
    (store / "jetstream").write_text("not a folder")  # NATS cannot create its store here
    result = run_launcher(env)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1
    assert errors[0].startswith("Error: nats")
    assert no_process_left_using(tmp_path)


def test_an_invalid_setting_fails_at_start_naming_the_setting(tmp_path: Path) -> None:
    result = run_launcher(launcher_env(tmp_path, FAMILIAS_NATS_PORT="catorce mil"))
    assert result.returncode == 2
    assert "FAMILIAS_NATS_PORT" in result.stderr


def test_a_crashed_process_is_reported_and_restarted(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path / "logs", echo=False)
    messages: list[str] = []
    supervisor.say = messages.append  # type: ignore[method-assign]
    spec = ProcessSpec(
        name="fragil",
        argv=[
            sys.executable,
            "-c",
            "import time; print('hola', flush=True); time.sleep(1.2); raise SystemExit(3)",
        ],
    )
    try:
        supervisor.start(spec)
        deadline = time.monotonic() + 15
        while supervisor.processes["fragil"].restarts < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert supervisor.processes["fragil"].restarts >= 1
        assert any("fragil terminó inesperadamente (código 3)" in m for m in messages)
        assert (tmp_path / "logs" / "fragil.log").read_text().count("hola") >= 1
    finally:
        supervisor.stop_all()


@pytest.mark.e2e
def test_make_run_starts_everything_prints_the_urls_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path,
) -> None:
    env = launcher_env(tmp_path)
    launcher = subprocess.Popen(
        [sys.executable, "-m", "deploy.local", "run"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        assert launcher.stdout is not None
        deadline = time.monotonic() + 120
        for line in launcher.stdout:
            output.append(line)
            if "Estado del sistema" in line or time.monotonic() > deadline:
                break
        text = "".join(output)
        assert "Familias está funcionando" in text, text[-3000:]
        assert f"http://127.0.0.1:{env['FAMILIAS_SUPERVISION_PORT']}/" in text
        assert "Datos de demostración cargados (5 familias nuevas)" in text
        children = psutil.Process(launcher.pid).children(recursive=True)
        assert len(children) >= 12
    finally:
        launcher.send_signal(signal.SIGINT)
        rest, _ = launcher.communicate(timeout=60)
    assert launcher.returncode == 0, rest[-2000:]
    assert "Detenido." in rest
    assert processes_using(tmp_path) == []
