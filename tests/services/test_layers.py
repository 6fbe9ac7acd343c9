"""SQL is built in repository modules only (import-linter checks the layers' direction, but
sees `sqlalchemy` as one package: it cannot tell `select` from `AsyncSession`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
# What a module outside repository/ may take from SQLAlchemy: the session type and errors.
ALLOWED = {"sqlalchemy.ext.asyncio", "sqlalchemy.exc"}


def sqlalchemy_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found.add(node.module or "")
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sqlalchemy")}
    return found


def outside_the_repository(service: str) -> list[Path]:
    root = SERVICES / service
    return [
        path
        for path in sorted(root.rglob("*.py"))
        if not {"repository", "migrations"} & set(path.relative_to(root).parts)
        and path.name != "models.py"
    ]


@pytest.mark.parametrize("service", ["intake", "plans", "payments"])
def test_only_repository_modules_build_sql(service: str) -> None:
    modules = outside_the_repository(service)
    assert modules
    offending = {
        str(path.relative_to(SERVICES)): sorted(imports - ALLOWED)
        for path in modules
        if (imports := sqlalchemy_imports(path)) - ALLOWED
    }
    assert offending == {}


def test_the_check_sees_a_statement_builder(tmp_path: Path) -> None:
    module = tmp_path / "endpoint.py"
    module.write_text("from sqlalchemy import select\nimport sqlalchemy.orm\n")
    assert sqlalchemy_imports(module) == {"sqlalchemy", "sqlalchemy.orm"}
