"""What people read for payments' codes: concepts, order states and transfer states."""

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
}
