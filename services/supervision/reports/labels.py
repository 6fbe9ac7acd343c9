"""Spanish labels of the codes the services count by (DOMAIN.md glossary)."""

from __future__ import annotations

EXIT_CAUSES = {
    "cumplimiento": "Cumplimiento (24 meses de acompañamiento)",
    "abandono": "Abandono (decisión de la Jefatura tras el procedimiento)",
    "renuncia": "Renuncia de la familia",
    "fallecimiento": "Fallecimiento del representante",
    "traslado": "Traslado a otra comuna",
    "no_localizada": "Familia no localizada",
    "rechaza": "Rechaza la invitación",
}
CHANNELS = {"visita": "Visita domiciliaria", "telefono": "Teléfono", "otro": "Otro medio"}
CONTACT_RESULTS = {"localizada": "Localizada", "no_localizada": "No localizada"}
ABANDONMENT_STEPS = {
    "aviso": "Aviso a la familia",
    "visita": "Visita domiciliaria",
    "informe": "Informe documentado",
    "recomendacion": "Recomendación a la Jefatura",
}
ROLES = {
    "jefe_unidad": "Jefe/a de Unidad de Intervención Familiar",
    "apoyo_familiar": "Apoyo Familiar Integral (AFI)",
    "administrativo": "Apoyo administrativo",
    "supervisor_fosis": "Supervisor/a territorial FOSIS",
}
ROLE_ORDER = ("jefe_unidad", "apoyo_familiar", "administrativo", "supervisor_fosis")


def label(labels: dict[str, str], code: str) -> str:
    return labels.get(code, code.replace("_", " ").capitalize())
