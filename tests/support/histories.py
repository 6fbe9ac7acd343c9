"""Recording the workflow histories the replay suite keeps (`tests/workflows/histories/`).

Tests that run a real workflow call `keep_history(handle, name)` at the end of a path worth
keeping; it does nothing unless FAMILIAS_GRABAR_HISTORIAS=1. Record again only when a change
is *meant* to be incompatible: otherwise the stored histories are what running workflows
look like, and replaying them on today's code is the check (workflows/README.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle

HISTORIES = Path(__file__).resolve().parents[1] / "workflows" / "histories"


def recording() -> bool:
    return os.environ.get("FAMILIAS_GRABAR_HISTORIAS") == "1"


async def keep_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """With FAMILIAS_GRABAR_HISTORIAS=1, store the history of the run `handle` names."""
    if not recording():
        return
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json())
