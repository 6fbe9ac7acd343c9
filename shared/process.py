"""Running a background process (worker, bridge, relay) until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NoReturn

from shared.observability import configure_logging
from shared.settings import Settings, load_settings

Main = Callable[[Settings, asyncio.Event], Awaitable[None]]


def run_process(name: str, main: Main) -> None:
    settings = load_settings()
    configure_logging(settings, name)

    async def supervised() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await main(settings, stop)

    asyncio.run(supervised())
    exit_now(0)


def exit_now(code: int) -> NoReturn:
    """Leave without interpreter finalization, once all output is flushed.

    Temporal's Rust client keeps Tokio threads that may touch the GIL while CPython
    finalizes, which aborts the process now and then ("PyGILState_Release: thread state …
    must be current", temporalio/sdk-python#300). A process that has finished its work
    exits here instead, so its exit code says how the work went.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def ready_file(settings: Settings, name: str) -> Path:
    return settings.data_dir / "run" / f"{name}.ready"


def mark_ready(settings: Settings, name: str) -> None:
    """Tell the launcher this process is connected to everything it needs."""
    path = ready_file(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(os.getpid()))
