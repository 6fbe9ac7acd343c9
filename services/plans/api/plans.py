"""Plans' HTTP endpoints: thin, they validate, call the service and shape the answer.

Drafts (diagnosis, plan) carry a version: answers send it as `ETag`, and a save with
`If-Match` whose version is no longer current is refused with 412, so two people editing
the same draft never silently overwrite each other.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status
from sqlalchemy import select

from services.plans.models import AbandonmentRecord, Diagnosis, Dimension, Indicator, Plan, Session
from services.plans.rules import SESSION_KINDS, trajectory
from services.plans.schemas import (
    AbandonmentIn,
    AbandonmentOut,
    CaseOut,
    DiagnosisIn,
    DiagnosisItem,
    DiagnosisOut,
    EvaluationIn,
    GoalOut,
    PlanIn,
    PlanOut,
    SessionIn,
    SessionOut,
    SignIn,
)
from services.plans.service import plans_service
from shared.errors import ValidationFailed
from shared.http.deps import Actor, Runtime
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1", tags=["planes"])

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=40, description="ETag del borrador que se editó"),
]


def expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    digits = if_match.strip().removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise ValidationFailed('If-Match debe ser el ETag recibido, por ejemplo "3"')
    return int(digits)


def _today(rt: Runtime) -> date:
    return rt.today()


@router.get("/catalog", summary="Dimensiones, indicadores y niveles de la Matriz de Bienestar")
async def catalog(db: Db) -> list[dict[str, Any]]:
    dimensions = await db.scalars(
        select(Dimension).where(Dimension.active.is_(True)).order_by(Dimension.position)
    )
    indicators = list(
        await db.scalars(
            select(Indicator).where(Indicator.active.is_(True)).order_by(Indicator.position)
        )
    )
    return [
        {
            "codigo": d.code,
            "nombre": d.name,
            "indicadores": [
                {
                    "codigo": i.code,
                    "nombre": i.name,
                    "niveles": i.levels,
                    "critico_hasta": i.critical_at,
                }
                for i in indicators
                if i.dimension_code == d.code
            ],
        }
        for d in dimensions
    ]


@router.get("/cases/{family_id}", summary="Ver el expediente de una familia")
async def get_case(family_id: UUID, db: Db) -> CaseOut:
    case = await plans_service.get_case(db, family_id)
    return CaseOut(
        family_id=case.family_id,
        comuna=case.comuna,
        fecha_derivacion=case.referred_on,
        abierto_en=case.opened_at,
        compromiso_firmado_el=case.committed_on,
        apoyo_familiar_id=case.apoyo_familiar_id,
        egreso=case.exited_on,
        causal_egreso=case.exit_cause,
    )


def diagnosis_out(diagnosis: Diagnosis, response: Response) -> DiagnosisOut:
    response.headers["ETag"] = f'"{diagnosis.lock_version}"'
    return DiagnosisOut(
        id=diagnosis.id,
        family_id=diagnosis.family_id,
        estado=diagnosis.status,
        version=diagnosis.lock_version,
        items=[DiagnosisItem.model_validate(i) for i in diagnosis.items],
        completado_por=diagnosis.completed_by,
        completado_el=diagnosis.completed_on,
    )


@router.post("/families/{family_id}/diagnosis", summary="Iniciar el diagnóstico (o verlo)")
async def start_diagnosis(
    family_id: UUID, db: Db, response: Response, actor: Actor = "sistema"
) -> DiagnosisOut:
    return diagnosis_out(await plans_service.start_diagnosis(db, family_id, actor), response)


@router.get("/families/{family_id}/diagnosis", summary="Ver el diagnóstico")
async def get_diagnosis(family_id: UUID, db: Db, response: Response) -> DiagnosisOut:
    return diagnosis_out(await plans_service.get_diagnosis(db, family_id), response)


@router.patch(
    "/families/{family_id}/diagnosis",
    summary="Guardar niveles y notas de indicadores (borrador)",
    responses={412: {"description": "Otra persona guardó antes: recargue"}},
)
async def save_diagnosis(
    family_id: UUID,
    body: DiagnosisIn,
    db: Db,
    response: Response,
    if_match: IfMatch = None,
    actor: Actor = "sistema",
) -> DiagnosisOut:
    items = [i.model_dump(mode="json") for i in body.items]
    diagnosis = await plans_service.save_diagnosis(
        db, family_id, items, expected_version=expected_version(if_match), actor=actor
    )
    return diagnosis_out(diagnosis, response)


@router.post("/families/{family_id}/diagnosis/complete", summary="Completar el diagnóstico")
async def complete_diagnosis(
    family_id: UUID,
    db: Db,
    rt: Runtime,
    response: Response,
    if_match: IfMatch = None,
    actor: Actor = "sistema",
) -> DiagnosisOut:
    diagnosis = await plans_service.complete_diagnosis(
        db, family_id, expected_version=expected_version(if_match), actor=actor, today=_today(rt)
    )
    return diagnosis_out(diagnosis, response)


def plan_out(plan: Plan, response: Response | None = None) -> PlanOut:
    if response is not None:
        response.headers["ETag"] = f'"{plan.lock_version}"'
    return PlanOut(
        id=plan.id,
        family_id=plan.family_id,
        revision=plan.revision,
        estado=plan.status,
        version=plan.lock_version,
        trayectoria=trajectory(plan.asl_adults),
        asl_adultos=plan.asl_adults,
        metas=[
            GoalOut(
                id=g.id,
                dimension=g.dimension_code,
                descripcion=g.description,
                acciones=g.actions,
                responsable_id=g.responsible_member_id,
                fecha_meta=g.target_date,
                estado=g.status,
            )
            for g in plan.goals
        ],
        firmado_el=plan.signed_on,
        firmado_por=plan.signed_by,
    )


@router.put(
    "/families/{family_id}/plan",
    summary="Guardar el borrador del plan de intervención",
    responses={412: {"description": "Otra persona guardó antes: recargue"}},
)
async def save_plan(
    family_id: UUID,
    body: PlanIn,
    db: Db,
    response: Response,
    if_match: IfMatch = None,
    actor: Actor = "sistema",
) -> PlanOut:
    plan = await plans_service.draft_plan(
        db,
        family_id,
        [g.model_dump() for g in body.metas],
        body.asl_adultos,
        expected_version=expected_version(if_match),
        actor=actor,
    )
    return plan_out(plan, response)


@router.get("/families/{family_id}/plans", summary="Versiones del plan (la firmada no cambia)")
async def list_plans(family_id: UUID, db: Db) -> list[PlanOut]:
    await plans_service.get_case(db, family_id)
    return [plan_out(p) for p in await plans_service.current_plans(db, family_id)]


@router.post("/families/{family_id}/plan/sign", summary="Firmar el borrador del plan")
async def sign_plan(
    family_id: UUID,
    body: SignIn,
    db: Db,
    rt: Runtime,
    response: Response,
    if_match: IfMatch = None,
    actor: Actor = "sistema",
) -> PlanOut:
    plan = await plans_service.sign_plan(
        db,
        family_id,
        signed_on=body.fecha,
        expected_version=expected_version(if_match),
        actor=actor,
        today=_today(rt),
    )
    return plan_out(plan, response)


def session_out(recorded: Session, warning: str | None = None) -> SessionOut:
    return SessionOut(
        id=recorded.id,
        family_id=recorded.family_id,
        fecha=recorded.held_on,
        tipo=recorded.kind,
        tipo_nombre=SESSION_KINDS[recorded.kind].label,
        asistencia=recorded.attendance,
        dimensiones=recorded.dimensions,
        metas=recorded.goal_ids,
        asistentes=recorded.attendee_ids,
        notas=recorded.notes,
        profesional=recorded.professional,
        advertencia=warning,
    )


@router.post(
    "/families/{family_id}/sessions",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar una sesión",
    responses={200: {"description": "Ya estaba registrada: se devuelve la existente"}},
)
async def record_session(
    family_id: UUID,
    body: SessionIn,
    db: Db,
    rt: Runtime,
    response: Response,
    actor: Actor = "sistema",
) -> SessionOut:
    recorded, new, warning = await plans_service.record_session(
        db,
        family_id,
        body.model_dump(),
        professional=actor,
        today=_today(rt),
        health_emergency=rt.settings.health_emergency,
    )
    if not new:
        response.status_code = status.HTTP_200_OK
    return session_out(recorded, warning)


@router.get("/families/{family_id}/sessions", summary="Sesiones de la familia")
async def list_sessions(
    family_id: UUID,
    db: Db,
    anio: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    mes: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> list[SessionOut]:
    await plans_service.get_case(db, family_id)
    query = select(Session).where(Session.family_id == family_id)
    if anio is not None:
        first = date(anio, mes or 1, 1)
        last = date(anio + (1 if (mes or 12) == 12 else 0), ((mes or 12) % 12) + 1, 1)
        query = query.where(Session.held_on >= first, Session.held_on < last)
    rows = await db.scalars(query.order_by(Session.held_on, Session.created_at))
    return [session_out(s) for s in rows]


@router.post(
    "/families/{family_id}/evaluation",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar la evaluación final",
)
async def evaluate(
    family_id: UUID, body: EvaluationIn, db: Db, rt: Runtime, actor: Actor = "sistema"
) -> list[dict[str, Any]]:
    await plans_service.evaluate(
        db,
        family_id,
        body.model_dump(mode="json") | {"fecha": body.fecha},
        actor=actor,
        today=_today(rt),
    )
    return await plans_service.comparison(db, family_id)


@router.get(
    "/families/{family_id}/evaluation", summary="Comparación antes y después, por indicador"
)
async def comparison(family_id: UUID, db: Db) -> list[dict[str, Any]]:
    return await plans_service.comparison(db, family_id)


@router.post(
    "/families/{family_id}/abandonment-records",
    status_code=status.HTTP_201_CREATED,
    summary="Registrar un documento del procedimiento de abandono",
)
async def file_abandonment_record(
    family_id: UUID, body: AbandonmentIn, db: Db, rt: Runtime, actor: Actor = "sistema"
) -> AbandonmentOut:
    record = await plans_service.file_abandonment_record(
        db, family_id, body.model_dump(), actor=actor, today=_today(rt)
    )
    return _abandonment_out(record)


def _abandonment_out(record: AbandonmentRecord) -> AbandonmentOut:
    return AbandonmentOut(
        id=record.id,
        tipo=record.kind,
        fecha=record.dated,
        autor=record.author,
        contenido=record.content,
        recomendacion=record.recommendation,
    )


@router.get("/families/{family_id}/abandonment-records", summary="Documentos de abandono")
async def abandonment_records(family_id: UUID, db: Db) -> list[AbandonmentOut]:
    await plans_service.get_case(db, family_id)
    rows = await db.scalars(
        select(AbandonmentRecord)
        .where(AbandonmentRecord.family_id == family_id)
        .order_by(AbandonmentRecord.dated, AbandonmentRecord.created_at)
    )
    return [_abandonment_out(r) for r in rows]


@router.get("/tasks", summary="Lo pendiente y vencido de un Apoyo Familiar")
async def tasks(
    db: Db, rt: Runtime, professional: Annotated[UUID, Query(description="Id del Apoyo Familiar")]
) -> list[dict[str, Any]]:
    return await plans_service.tasks(
        db,
        professional,
        today=_today(rt),
        diagnosis_deadline_days=rt.settings.diagnosis_deadline_days,
    )
