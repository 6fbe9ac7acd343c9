"""The monthly management report for FOSIS: phases at month end, sessions, entries, exits,
overdue items. Counts only, read from intake's and plans' monthly aggregates."""

from __future__ import annotations

from datetime import date, datetime

from services.supervision.reports.document import (
    MONTHS,
    Cell,
    Report,
    Table,
    file_stem,
    scope_text,
    with_total,
)
from services.supervision.reports.tables import exits_table, sessions_table
from shared.contracts.statistics import IntakeMonthStatistics, PlansMonthStatistics

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
    intake: IntakeMonthStatistics,
    plans: PlansMonthStatistics,
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
            sessions_table(plans.sessions.by_kind),
            exits_table(intake.exits, title="Egresos del mes por causal"),
            overdue_table(intake, plans),
        ],
        notes=NOTES,
    )


def phases_table(intake: IntakeMonthStatistics, plans: PlansMonthStatistics) -> Table:
    early, later = intake.by_phase, plans.by_phase
    rows: list[tuple[Cell, ...]] = [
        ("Contacto y localización", early.contact),
        ("Invitación", early.invitation),
        ("Firma de la carta de compromiso", early.commitment),
        ("Diagnóstico Eje", later.diagnosis),
        ("Plan de intervención", later.plan),
        ("Acompañamiento", later.accompaniment),
        ("Evaluación final", later.evaluation),
    ]
    return Table(
        title="Familias por fase al cierre del mes",
        sheet="Fases",
        headers=("Fase", "Familias"),
        rows=with_total("Total en curso", rows),
    )


def entries_table(intake: IntakeMonthStatistics, plans: PlansMonthStatistics) -> Table:
    return Table(
        title="Ingresos y avances del mes",
        sheet="Ingresos",
        headers=("Concepto", "Familias"),
        rows=[
            ("Derivadas (nuevas en la nómina)", intake.entries.referred),
            ("Firman la carta de compromiso", intake.entries.committed),
            ("Completan el diagnóstico Eje", plans.diagnoses_completed),
            ("Firman el plan de intervención", plans.plans_signed),
        ],
    )


def sessions_summary_table(plans: PlansMonthStatistics) -> Table:
    sessions = plans.sessions
    return Table(
        title="Sesiones realizadas y esperadas",
        sheet="Sesiones del mes",
        headers=("Concepto", "Cantidad"),
        rows=[
            ("Sesiones registradas", sessions.held),
            ("Sesiones con asistencia de la familia", sessions.attended),
            ("Familias que debían tener sesión", sessions.families_expected),
            ("Familias con sesión en el mes", sessions.families_with_session),
            ("Familias sin sesión en el mes", sessions.families_without_session),
        ],
    )


def overdue_table(intake: IntakeMonthStatistics, plans: PlansMonthStatistics) -> Table:
    early, later = intake.overdue, plans.overdue
    return Table(
        title="Pendientes vencidos",
        sheet="Vencidos",
        headers=("Pendiente", "Familias"),
        rows=[
            (f"Sin localizar a {early.contact_deadline_days} días de la derivación", early.contact),
            (
                f"Diagnóstico sin completar a {later.diagnosis_deadline_days} días de la firma",
                later.diagnosis,
            ),
            (f"Plan sin firmar a {later.plan_deadline_days} días del diagnóstico", later.plan),
            ("En acompañamiento sin sesión en el mes", later.without_session),
            ("Procedimientos de abandono abiertos", later.open_abandonment),
        ],
    )
