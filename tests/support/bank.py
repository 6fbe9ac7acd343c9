"""The bank simulator as a real process on a free port, for payment tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from deploy.local.ports import free_port
from shared.settings import Settings, child_environment


@contextmanager
def bank_simulator(settings: Settings, data_dir: Path, *args: str) -> Iterator[str]:
    port = free_port()
    env = child_environment(settings.model_copy(update={"data_dir": data_dir}), os.environ)
    process = subprocess.Popen(
        [sys.executable, "-m", "services.payments.bank.simulator", "--puerto", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("el banco simulado no inició")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def set_faults(url: str, **faults: Any) -> None:
    response = httpx.post(f"{url}/v1/control", json=faults, timeout=5)
    response.raise_for_status()
