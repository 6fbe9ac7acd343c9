"""The unit's roles as the organisation chart names them, in the order it lists them."""

from __future__ import annotations

ROLES = {
    "jefe_unidad": "Jefe/a de Unidad de Intervención Familiar",
    "apoyo_familiar": "Apoyo Familiar Integral (AFI)",
    "administrativo": "Apoyo administrativo",
    "supervisor_fosis": "Supervisor/a territorial FOSIS",
}
ROLE_ORDER = tuple(ROLES)


def label(labels: dict[str, str], code: str) -> str:
    return labels.get(code, code.replace("_", " ").capitalize())
