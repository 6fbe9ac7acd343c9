"""The clock offset file (tests/chaos): services in other processes follow Temporal's
time-skipping test server; without the setting, the real clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.clock import OffsetFileClock, configured_clock, real_clock


def write(path: Path, seconds: float) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(f"{seconds:.6f}")
    os.replace(temporary, path)


def test_without_a_file_configured_the_clock_is_the_real_one() -> None:
    assert configured_clock(None) is real_clock


def test_the_clock_follows_the_offset_written_and_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "desfase"
    clock = configured_clock(path)
    assert isinstance(clock, OffsetFileClock)
    assert abs(clock() - datetime.now(UTC)) < timedelta(seconds=5)  # no file yet: no offset
    write(path, 31 * 86_400)
    assert clock() - datetime.now(UTC) > timedelta(days=30)
    write(path, 62 * 86_400.5)
    assert clock() - datetime.now(UTC) > timedelta(days=61)


def test_an_unreadable_offset_counts_as_none(tmp_path: Path) -> None:
    path = tmp_path / "desfase"
    path.write_text("mañana")
    assert abs(OffsetFileClock(path)() - datetime.now(UTC)) < timedelta(seconds=5)
