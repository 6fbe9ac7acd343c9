"""Tables both reports carry, for a year or a month: sessions by kind and exits by cause."""

from __future__ import annotations

from services.supervision.reports.document import Cell, Table, with_total
from shared.contracts.lifecycle import EXIT_CAUSE_NAMES
from shared.contracts.statistics import ExitCounts, SessionKindCount


def sessions_table(sessions: list[SessionKindCount]) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (s.kind_label, s.sessions, s.attended, s.absent, s.not_located, s.families)
        for s in sessions
    ]
    return Table(
        title="Sesiones y entrevistas por tipo",
        sheet="Sesiones",
        headers=("Tipo", "Sesiones", "Asistió", "No asistió", "No ubicada", "Familias"),
        rows=families_not_summed(with_total("Total", rows)),
        note="Sesiones de Acompañamiento Psicosocial (APS) y Sociolaboral (ASL), visitas, "
        "entrevistas y talleres registradas por los Apoyos Familiares. Una familia puede "
        "tener sesiones de varios tipos, por eso la columna Familias no se suma.",
    )


def exits_table(exits: ExitCounts, *, title: str) -> Table:
    rows: list[tuple[Cell, ...]] = [
        (EXIT_CAUSE_NAMES[cause], count) for cause, count in exits.items()
    ]
    return Table(
        title=title,
        sheet="Egresos",
        headers=("Causal de egreso", "Familias"),
        rows=with_total("Total", rows),
    )


def families_not_summed(rows: list[tuple[Cell, ...]]) -> list[tuple[Cell, ...]]:
    """One family counts in several rows (kinds, channels): its column has no total."""
    return [(*row[:-1], "") if row[0] == "Total" else row for row in rows]
