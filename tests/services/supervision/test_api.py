"""Supervision's JSON API documents every answer, under English paths."""

from __future__ import annotations

from services.supervision.main import create_app
from shared.settings import Settings


def test_every_operation_documents_its_answer_in_english_paths() -> None:
    schema = create_app(Settings(_env_file=None)).openapi()
    api = {path: ops for path, ops in schema["paths"].items() if path.startswith("/v1/")}
    assert len(api) >= 9
    for path, operations in api.items():
        assert not {"reportes", "estadisticas", "pausar", "reanudar", "cerrar"} & set(
            path.split("/")
        ), path
        for method, operation in operations.items():
            answers = {
                code: answer
                for code, answer in operation["responses"].items()
                if code.startswith("2")
            }
            assert answers, (method, path)
            for answer in answers.values():
                documented = answer.get("content", {}).get("application/json", {})
                assert documented.get("schema"), (method, path)
