"""The monthly management report for FOSIS: phases at month end, sessions, entries, exits,
overdue items. Counts only, read from intake's and plans' monthly aggregates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.supervision.reports.document import (
    MONTHS,
    Cell,
    Report,
    Table,
    file_stem,
    scope_text,
    with_total,
)
from services.supervision.reports.labels import EXIT_CAUSES, label
from services.supervision.reports.transparency import sessions_table

NOTES = [
    "Fases al cierre del mes, según los hechos registrados: contacto (sin localizar), "
    "invitación, firma de la carta de compromiso, diagnóstico Eje, plan de intervención, "
    "acompañamiento y evaluación. Las familias egresadas no se cuentan.",
    "Sesiones esperadas: cada familia en acompañamiento desde antes del inicio del mes debe "
    "tener al menos una sesión con asistencia en el mes.",
    "Vencidos: plazos de contacto, diagnóstico y plan cumplidos sin el hecho registrado al "
    "cierre del mes (o a la fecha de emisión, si el mes no ha terminado).",
    "El informe no contiene nombres, RUT ni otros datos personales.",
]


def month_label(month: date) -> str:
    return f"{MONTHS[month.month - 1].capitalize()} de {month.year}"


def build(
    month: date,
    comuna: str | None,
    intake: dict[str, Any],
    plans: dict[str, Any],
    issued_at: datetime,
) -> Report:
    return Report(
        title="Informe mensual de gestión — Programa Familias",
        period=month_label(month),
        scope=scope_text(comuna),
        issued_at=issued_at,
        file_stem=file_stem("informe-mensual", f"{month:%Y-%m}", comuna),
        tables=[
            phases_table(intake, plans),
            entries_table(intake, plans),
            sessions_summary_table(plans),
            sessions_table(plans["sesiones"]["por_tipo"]),
            exits_table(intake["egresos"]),
            overdue_table(intake, plans),
        ],
        notes=NOTES,
    )


def phases_table(intake: dict[str, Any], plans: dict[str, Any]) -> Table:
    early, later = intake["por_fase"], plans["por_fase"]
    rows: list[tuple[Cell, ...]] = [
        ("Contacto y localización", early["contacto"]),
        ("Invitación", early["invitacion"]),
        ("Firma de la carta de compromiso", early["compromiso"]),
        ("Diagnóstico Eje", later["diagnostico"]),
        ("Plan de intervención", later["plan"]),
        ("Acompañamiento", later["acompanamiento"]),
        ("Evaluación final", later["evaluacion"]),
    ]
    return Table(
        title="Familias por fase al cierre del mes",
        sheet="Fases",
        headers=("Fase", "Familias"),
        rows=with_total("Total en curso", rows),
    )


def entries_table(intake: dict[str, Any], plans: dict[str, Any]) -> Table:
    return Table(
        title="Ingresos y avances del mes",
        sheet="Ingresos",
        headers=("Concepto", "Familias"),
        rows=[
            ("Derivadas (nuevas en la nómina)", intake["ingresos"]["derivadas"]),
            ("Firman la carta de compromiso", intake["ingresos"]["firman_compromiso"]),
            ("Completan el diagnóstico Eje", plans["diagnosticos_completados"]),
            ("Firman el plan de intervención", plans["planes_firmados"]),
        ],
    )


def sessions_summary_table(plans: dict[str, Any]) -> Table:
    sessions = plans["sesiones"]
    return Table(
        title="Sesiones realizadas y esperadas",
        sheet="Sesiones del mes",
        headers=("Concepto", "Cantidad"),
        rows=[
            ("Sesiones registradas", sessions["realizadas"]),
            ("Sesiones con asistencia de la familia", sessions["asistidas"]),
            ("Familias que debían tener sesión", sessions["familias_esperadas"]),
            ("Familias con sesión en el mes", sessions["familias_con_sesion"]),
            ("Familias sin sesión en el mes", sessions["familias_sin_sesion"]),
        ],
    )


def exits_table(exits: dict[str, int]) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (label(EXIT_CAUSES, cause), count) for cause, count in exits.items()
    ]
    return Table(
        title="Egresos del mes por causal",
        sheet="Egresos",
        headers=("Causal de egreso", "Familias"),
        rows=with_total("Total", rows),
    )


def overdue_table(intake: dict[str, Any], plans: dict[str, Any]) -> Table:
    early, later = intake["vencidas"], plans["vencidas"]
    return Table(
        title="Pendientes vencidos",
        sheet="Vencidos",
        headers=("Pendiente", "Familias"),
        rows=[
            (
                f"Sin localizar a {early['plazo_contacto_dias']} días de la derivación",
                early["contacto"],
            ),
            (
                f"Diagnóstico sin completar a {later['plazo_diagnostico_dias']} días de la firma",
                later["diagnostico"],
            ),
            (f"Plan sin firmar a {later['plazo_plan_dias']} días del diagnóstico", later["plan"]),
            ("En acompañamiento sin sesión en el mes", later["sin_sesion_en_el_mes"]),
            ("Procedimientos de abandono abiertos", later["abandono_abierto"]),
        ],
    )
