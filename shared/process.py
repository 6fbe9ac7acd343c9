"""Running a background process (worker, bridge, relay) until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

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


def ready_file(settings: Settings, name: str) -> Path:
    return settings.data_dir / "run" / f"{name}.ready"


def mark_ready(settings: Settings, name: str) -> None:
    """Tell the launcher this process is connected to everything it needs."""
    path = ready_file(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(os.getpid()))
