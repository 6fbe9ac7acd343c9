"""`/v1/estadisticas`: counts of plans' facts for reports. Only numbers, never a person.

Every figure is one SQL aggregate (COUNT … FILTER, GROUP BY) over the facts' own dates.
Notes and document contents are never read: they may name people.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, and_, func, or_, select

from services.plans.models import AbandonmentRecord, Case, Diagnosis, Evaluation, Plan, Session
from services.plans.rules import SESSION_KINDS
from shared.errors import ValidationFailed
from shared.http.deps import Runtime
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/estadisticas", tags=["estadísticas"])

ATTENDANCE = ("asistio", "no_asistio", "no_ubicada")
ABANDONMENT_STEPS = ("aviso", "visita", "informe", "recomendacion")
# Policy default (DOMAIN.md §2, workflows' Policy.plan_deadline_days): days to sign the plan.
PLAN_DEADLINE_DAYS = 30

Year = Annotated[int, Query(ge=2000, le=2100, description="Año del informe")]
Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="Mes del informe, AAAA-MM")]
Comuna = Annotated[str | None, Query(max_length=80, description="Solo esta comuna")]


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of `AAAA-MM`."""
    year, number = int(month[:4]), int(month[5:7])
    if not (2000 <= year <= 2100 and 1 <= number <= 12):
        raise ValidationFailed("Mes no válido: use AAAA-MM, entre 2000 y 2100")
    return date(year, number, 1), date(year, number, monthrange(year, number)[1])


def _between(column: Any, first: date, last: date) -> ColumnElement[bool]:
    return and_(column >= first, column <= last)


def _comuna(comuna: str | None) -> list[ColumnElement[bool]]:
    return [Case.comuna == " ".join(comuna.split())] if comuna else []


def _first_signed_plans() -> Any:
    """Each family's first signed plan date (later revisions do not start anything)."""
    return (
        select(Plan.family_id, func.min(Plan.signed_on).label("signed_on"))
        .where(Plan.status == "firmado")
        .group_by(Plan.family_id)
        .subquery()
    )


async def _sessions(db: Db, first: date, last: date, comuna: str | None) -> list[dict[str, Any]]:
    rows = await db.execute(
        select(
            Session.kind,
            func.count(),
            *(func.count().filter(Session.attendance == a) for a in ATTENDANCE),
            func.count(func.distinct(Session.family_id)),
        )
        .join(Case, Case.family_id == Session.family_id)
        .where(_between(Session.held_on, first, last), *_comuna(comuna))
        .group_by(Session.kind)
    )
    found = {str(kind): [int(n) for n in counts] for kind, *counts in rows}
    return [
        {
            "tipo": code,
            "tipo_nombre": kind.label,
            "cuenta_para_minimo": kind.counts,
            "sesiones": found.get(code, [0] * 5)[0],
            **{a: found.get(code, [0] * 5)[1 + i] for i, a in enumerate(ATTENDANCE)},
            "familias": found.get(code, [0] * 5)[4],
        }
        for code, kind in SESSION_KINDS.items()
    ]


@router.get("", summary="Diagnósticos, planes, sesiones por tipo y abandono de un año")
async def yearly(db: Db, anio: Year, comuna: Comuna = None) -> dict[str, Any]:
    first, last = date(anio, 1, 1), date(anio, 12, 31)
    plans = _first_signed_plans()
    stages = (
        await db.execute(
            select(
                func.count(Diagnosis.family_id).filter(
                    Diagnosis.status == "completado", _between(Diagnosis.completed_on, first, last)
                ),
                func.count(plans.c.family_id).filter(_between(plans.c.signed_on, first, last)),
                # In accompaniment some time of the year: plan signed by its end, not out before.
                func.count(plans.c.family_id).filter(
                    plans.c.signed_on <= last,
                    or_(Case.exited_on.is_(None), Case.exited_on >= first),
                ),
                func.count(Evaluation.family_id).filter(
                    _between(Evaluation.evaluated_on, first, last)
                ),
            )
            .select_from(Case)
            .outerjoin(Diagnosis, Diagnosis.family_id == Case.family_id)
            .outerjoin(plans, plans.c.family_id == Case.family_id)
            .outerjoin(Evaluation, Evaluation.family_id == Case.family_id)
            .where(*_comuna(comuna))
        )
    ).one()
    documents = await db.execute(
        select(
            AbandonmentRecord.kind,
            AbandonmentRecord.recommendation,
            func.count(),
            func.count(func.distinct(AbandonmentRecord.family_id)),
        )
        .join(Case, Case.family_id == AbandonmentRecord.family_id)
        .where(_between(AbandonmentRecord.dated, first, last), *_comuna(comuna))
        .group_by(AbandonmentRecord.kind, AbandonmentRecord.recommendation)
    )
    steps = {step: {"documentos": 0, "familias": 0} for step in ABANDONMENT_STEPS}
    outcome = {"egreso": 0, "reincorporacion": 0}
    for kind, recommendation, count, families in documents:
        steps[kind]["documentos"] += count
        steps[kind]["familias"] += families
        if kind == "recomendacion" and recommendation in outcome:
            outcome[recommendation] += families
    return {
        "anio": anio,
        "comuna": comuna,
        "etapas": {
            "diagnosticadas": stages[0],
            "con_plan_firmado": stages[1],
            "en_acompanamiento": stages[2],
            "evaluadas": stages[3],
        },
        "sesiones": await _sessions(db, first, last, comuna),
        "abandono": {"pasos": steps, "recomendaciones": outcome},
    }


@router.get("/mensual", summary="Familias por fase al cierre del mes, sesiones y vencimientos")
async def monthly(
    db: Db,
    rt: Runtime,
    mes: Month,
    comuna: Comuna = None,
    plazo_plan_dias: Annotated[int, Query(ge=1, le=365)] = PLAN_DEADLINE_DAYS,
) -> dict[str, Any]:
    first, last = month_bounds(mes)
    # A month still running is read as of today: nothing is overdue in the future.
    cutoff = min(last, datetime.now(ZoneInfo(rt.settings.timezone)).date())
    diagnosis_due = cutoff - timedelta(days=rt.settings.diagnosis_deadline_days)
    plan_due = cutoff - timedelta(days=plazo_plan_dias)
    plans = _first_signed_plans()
    seen = (
        select(Session.family_id)
        .where(_between(Session.held_on, first, last), Session.attendance == "asistio")
        .group_by(Session.family_id)
        .subquery()
    )
    procedure = (
        select(
            AbandonmentRecord.family_id,
            func.max(AbandonmentRecord.dated)
            .filter(AbandonmentRecord.kind == "aviso", AbandonmentRecord.dated <= last)
            .label("warned"),
            func.max(AbandonmentRecord.dated)
            .filter(AbandonmentRecord.kind == "recomendacion", AbandonmentRecord.dated <= last)
            .label("decided"),
        )
        .group_by(AbandonmentRecord.family_id)
        .subquery()
    )
    # Phases at the month's end, exclusive: a signed plan wins over a late diagnosis.
    diagnosed = and_(Diagnosis.status == "completado", Diagnosis.completed_on <= last)
    undiagnosed = or_(Diagnosis.family_id.is_(None), ~diagnosed)
    signed = plans.c.signed_on <= last
    unsigned = or_(plans.c.signed_on.is_(None), plans.c.signed_on > last)
    evaluated = Evaluation.evaluated_on <= last
    unevaluated = or_(Evaluation.evaluated_on.is_(None), Evaluation.evaluated_on > last)
    # Expected to have a session this month: in accompaniment since before it began.
    expected = and_(plans.c.signed_on < first, unevaluated)
    row = (
        await db.execute(
            select(
                func.count().filter(undiagnosed, unsigned),
                func.count().filter(diagnosed, unsigned),
                func.count().filter(signed, unevaluated),
                func.count().filter(signed, evaluated),
                func.count().filter(expected),
                func.count().filter(expected, seen.c.family_id.is_not(None)),
                func.count().filter(undiagnosed, unsigned, Case.committed_on < diagnosis_due),
                func.count().filter(diagnosed, unsigned, Diagnosis.completed_on < plan_due),
                func.count().filter(
                    procedure.c.warned.is_not(None),
                    or_(procedure.c.decided.is_(None), procedure.c.decided < procedure.c.warned),
                ),
            )
            .select_from(Case)
            .outerjoin(Diagnosis, Diagnosis.family_id == Case.family_id)
            .outerjoin(plans, plans.c.family_id == Case.family_id)
            .outerjoin(Evaluation, Evaluation.family_id == Case.family_id)
            .outerjoin(seen, seen.c.family_id == Case.family_id)
            .outerjoin(procedure, procedure.c.family_id == Case.family_id)
            .where(
                Case.committed_on <= last,
                or_(Case.exited_on.is_(None), Case.exited_on > last),
                *_comuna(comuna),
            )
        )
    ).one()
    completed = (
        await db.execute(
            select(
                func.count(Diagnosis.family_id).filter(
                    Diagnosis.status == "completado", _between(Diagnosis.completed_on, first, last)
                ),
                func.count(plans.c.family_id).filter(_between(plans.c.signed_on, first, last)),
            )
            .select_from(Case)
            .outerjoin(Diagnosis, Diagnosis.family_id == Case.family_id)
            .outerjoin(plans, plans.c.family_id == Case.family_id)
            .where(*_comuna(comuna))
        )
    ).one()
    sessions = await _sessions(db, first, last, comuna)
    return {
        "mes": mes,
        "comuna": comuna,
        "por_fase": {
            "diagnostico": row[0],
            "plan": row[1],
            "acompanamiento": row[2],
            "evaluacion": row[3],
        },
        "diagnosticos_completados": completed[0],
        "planes_firmados": completed[1],
        "sesiones": {
            "realizadas": sum(s["sesiones"] for s in sessions),
            "asistidas": sum(s["asistio"] for s in sessions),
            "familias_esperadas": row[4],
            "familias_con_sesion": row[5],
            "familias_sin_sesion": row[4] - row[5],
            "por_tipo": sessions,
        },
        "vencidas": {
            "diagnostico": row[6],
            "plan": row[7],
            "sin_sesion_en_el_mes": row[4] - row[5],
            "abandono_abierto": row[8],
            "plazo_diagnostico_dias": rt.settings.diagnosis_deadline_days,
            "plazo_plan_dias": plazo_plan_dias,
        },
    }
