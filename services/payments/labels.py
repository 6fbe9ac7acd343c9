"""What people read for payments' codes: concepts, order and transfer states, and the
problems a person resolves."""

from __future__ import annotations

BONUS_CONCEPTS = {
    "asistencia_escolar": "Bono Asistencia Escolar",
    "logro_escolar": "Bono Logro Escolar",
    "formalizacion_laboral": "Bono Formalización laboral",
    "graduacion_4_medio": "Bono Graduación de 4° medio",
    "control_nino_sano": "Bono Control Niño Sano",
}
CONCEPTS = {
    "bono_proteccion": "Bono de Protección",
    "reliquidacion": "Reliquidación Bono de Protección",
    "bono_base_familiar": "Bono Base Familiar",
    **BONUS_CONCEPTS,
}
ORDER_STATES = {
    "pending": "pendiente",
    "held": "retenida",
    "in_batch": "en el banco",
    "settled": "pagada",
    "expired": "caducada",
}
LINE_STATES = {
    "sent": "enviada",
    "accepted": "aceptada por el banco",
    "settled": "pagada",
    "rejected": "rechazada",
    "available": "disponible para cobro presencial",
    "claimed": "cobrada en caja",
    "expired": "caducada (renunciada)",
    "disputed": "segundo cargo, en revisión",
}
ISSUE_KINDS = {
    "cargo_tras_rechazo": "el banco la rechazó y después la cargó",
    "rechazo_tras_cargo": "el banco la cargó y después la rechazó",
    "segundo_cargo": "segundo cargo de una orden ya pagada",
    "archivo_rechazado": "archivo rechazado entero por el banco",
}
RESOLUTIONS = {
    "pagada": "pagada: el cargo del banco vale",
    "no_pagada": "no pagada: el banco devolvió el cargo (o no lo hizo)",
    "revisado": "revisado",
}
