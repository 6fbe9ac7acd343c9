"""How the CLI prints: Rich for people, JSON for scripts, exit codes that mean something."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

console = Console()
errors = Console(stderr=True)

SANTIAGO = ZoneInfo("America/Santiago")


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    NOT_FOUND = 3
    REFUSED = 4
    UNAVAILABLE = 5


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def local_time(value: str | datetime | None) -> str:
    """Times are stored in UTC and shown in Santiago's time."""
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(SANTIAGO).strftime("%d-%m-%Y %H:%M")
