"""The transparency report for one year (Ley 20.285; DOMAIN.md §6): counts, no persons.

It answers what the seed's request asked: the procedure (stages with counts), follow-up
(contact attempts), interviews and sessions by type, abandonment, exits, coverage and the
organisation chart, for the year asked and, if given, one comuna.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from services.supervision.reports.document import (
    Cell,
    Report,
    Table,
    file_stem,
    scope_text,
    with_total,
)
from services.supervision.reports.labels import ROLE_ORDER, ROLES, label
from services.supervision.reports.tables import exits_table, families_not_summed, sessions_table
from shared.contracts.statistics import (
    ABANDONMENT_STEP_LABELS,
    CHANNEL_LABELS,
    CONTACT_RESULT_LABELS,
    IntakeYearStatistics,
    PlansYearStatistics,
)

NOTES = [
    "El Programa Familias no es postulable: el Ministerio de Desarrollo Social y Familia "
    "preselecciona a las familias y las deriva al municipio en una nómina anual.",
    "Cada etapa cuenta las familias cuyo hecho ocurrió en el año (derivación, localización, "
    "invitación, firma de la carta de compromiso, diagnóstico Eje, firma del plan, evaluación, "
    "egreso). Una familia puede pasar por varias etapas el mismo año.",
    "Cobertura: familias que estuvieron en el programa en algún momento del año (carta de "
    "compromiso firmada hasta el 31 de diciembre y sin egreso antes del 1 de enero), y sus "
    "integrantes registrados.",
    "En acompañamiento: familias con plan de intervención firmado hasta el 31 de diciembre y "
    "sin egreso antes del 1 de enero.",
    "Los motivos detallados de un abandono constan en los documentos del procedimiento y no "
    "se publican, porque pueden contener datos personales (Ley 19.628). Se informan las "
    "causales codificadas y el resultado del procedimiento.",
    "La comuna es la actual de cada familia: una familia trasladada se cuenta en su nueva comuna.",
    "El informe no contiene nombres, RUT ni otros datos personales.",
]


def build(
    year: int,
    comuna: str | None,
    intake: IntakeYearStatistics,
    plans: PlansYearStatistics,
    staff: list[dict[str, Any]],
    issued_at: datetime,
) -> Report:
    return Report(
        title="Informe de transparencia — Programa Familias",
        period=f"Año {year}",
        scope=scope_text(comuna),
        issued_at=issued_at,
        file_stem=file_stem("informe-transparencia", str(year), comuna),
        tables=[
            stages_table(intake, plans),
            coverage_table(intake),
            contacts_table(intake),
            sessions_table(plans.sessions),
            abandonment_table(plans),
            abandonment_reasons_table(intake, plans),
            exits_table(intake.exits, title="Egresos por causal"),
            org_chart_table(staff),
        ],
        notes=NOTES,
    )


def stages_table(intake: IntakeYearStatistics, plans: PlansYearStatistics) -> Table:
    steps, later = intake.stages, plans.stages
    rows: list[tuple[Cell, ...]] = [
        ("Derivadas por el Ministerio (nómina de derivación)", steps.referred),
        ("Localizadas", steps.located),
        ("Invitadas al programa", steps.invited),
        ("Aceptan la invitación", steps.accepted),
        ("Rechazan la invitación", steps.declined),
        ("Firman la carta de compromiso", steps.committed),
        ("Con diagnóstico Eje completado", later.diagnosed),
        ("Con plan de intervención firmado", later.plan_signed),
        ("En acompañamiento durante el año", later.in_accompaniment),
        ("Con evaluación final", later.evaluated),
        ("Egresadas", sum(intake.exits.values())),
    ]
    return Table(
        title="Etapas del procedimiento",
        sheet="Etapas",
        headers=("Etapa", "Familias"),
        rows=rows,
        note="Derivación, contacto, invitación, carta de compromiso, diagnóstico, plan, "
        "acompañamiento (24 meses), evaluación y egreso.",
    )


def coverage_table(intake: IntakeYearStatistics) -> Table:
    coverage = intake.coverage
    return Table(
        title="Cobertura",
        sheet="Cobertura",
        headers=("Concepto", "Cantidad"),
        rows=[
            ("Familias atendidas en el año", coverage.families),
            ("Personas (integrantes de esas familias)", coverage.persons),
        ],
    )


def contacts_table(intake: IntakeYearStatistics) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (CHANNEL_LABELS[c.channel], CONTACT_RESULT_LABELS[c.result], c.attempts, c.families)
        for c in intake.contacts
    ]
    return Table(
        title="Seguimiento: intentos de contacto para localizar a las familias",
        sheet="Contactos",
        headers=("Medio", "Resultado", "Intentos", "Familias"),
        rows=families_not_summed(with_total("Total", rows, text_columns=2)),
        note="Una familia con varios intentos se cuenta una vez por medio y resultado.",
    )


def abandonment_table(plans: PlansYearStatistics) -> Table:
    steps = plans.abandonment.steps
    return Table(
        title="Procedimiento de abandono: documentos del año",
        sheet="Abandono",
        headers=("Paso del procedimiento", "Documentos", "Familias"),
        rows=[
            (ABANDONMENT_STEP_LABELS[code], step.documents, step.families)
            for code, step in steps.items()
        ],
        note="Se abre ante la falta sostenida de contacto o la voluntad expresada de la "
        "familia: aviso, visita domiciliaria, informe y recomendación; decide la Jefatura.",
    )


def abandonment_reasons_table(intake: IntakeYearStatistics, plans: PlansYearStatistics) -> Table:
    exits, outcome = intake.exits, plans.abandonment.recommendations
    return Table(
        title="Abandonos por motivo y resultado",
        sheet="Abandono por motivo",
        headers=("Motivo o resultado", "Familias"),
        rows=[
            ("Egreso por abandono: falta sostenida de contacto", exits.get("abandono", 0)),
            ("Renuncia: voluntad expresada de la familia", exits.get("renuncia", 0)),
            ("Recomendación de egreso por abandono", outcome.get("egreso", 0)),
            ("Recomendación de reincorporación", outcome.get("reincorporacion", 0)),
        ],
    )


def org_chart_table(staff: list[dict[str, Any]]) -> Table:
    """Roles, how many people hold each, whom they report to: never who they are."""
    active = [s for s in staff if s.get("active", True)]
    role_of = {s["id"]: s["role"] for s in active}
    people: dict[str, int] = defaultdict(int)
    families: dict[str, int] = defaultdict(int)
    bosses: dict[str, set[str]] = defaultdict(set)
    for member in active:
        people[member["role"]] += 1
        families[member["role"]] += int(member.get("active_families", 0))
        boss = role_of.get(member.get("reports_to_id"))
        if boss is not None:
            bosses[member["role"]].add(boss)
    order = [r for r in ROLE_ORDER if r in people] + sorted(set(people) - set(ROLE_ORDER))
    rows: list[tuple[Cell, ...]] = [
        (
            label(ROLES, role),
            ", ".join(label(ROLES, b) for b in sorted(bosses[role])) or "—",
            people[role],
            families[role],
        )
        for role in order
    ]
    return Table(
        title="Organigrama de la Unidad de Intervención Familiar",
        sheet="Organigrama",
        headers=("Rol", "Reporta a", "Personas", "Familias activas asignadas"),
        rows=with_total("Total", rows, text_columns=2),
        note="Dotación vigente a la fecha de emisión, por rol y sin nombres. El convenio lo "
        "firman el municipio y FOSIS; el Ministerio de Desarrollo Social y Familia deriva a "
        "las familias y el IPS paga las transferencias.",
    )
