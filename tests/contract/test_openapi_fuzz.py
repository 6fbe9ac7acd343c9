"""Schemathesis, a client nobody here wrote, fuzzes each running service from its OpenAPI.

Run as a user runs it, with its own command line (`st run`). Whatever it sends —
malformed RUTs, huge strings, wrong types, random uploads — the service must answer with a
4xx in problem+json, never a 5xx, and every answer must be what the OpenAPI documents: its
status code, content type and body schema.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deploy.local.stack import LocalStack

pytestmark = pytest.mark.e2e

SCHEMATHESIS = Path(sys.executable).parent / "st"
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
])  # fmt: skip


@pytest.mark.parametrize("service", ["intake", "plans", "payments", "supervision"])
def test_no_generated_input_makes_the_service_fail(
    system: LocalStack, service: str, tmp_path: Path
) -> None:
    base = system.settings.service_url(service)
    result = subprocess.run(
        [
            str(SCHEMATHESIS), "run", f"{base}/openapi.json",
            "--checks", CHECKS,
            "--max-examples", "25",
            "--seed", "20261123",
            "--workers", "1",  # deterministic with the seed: a failure reproduces
            "--header", "X-Familias-Usuario: schemathesis",
            "--report-dir", str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    failures = result.stdout[result.stdout.find("FAILURES") :][:6000]
    assert result.returncode == 0, failures
    assert "passed" in result.stdout.lower()
