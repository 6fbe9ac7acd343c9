"""Plans' business rules: the case, diagnosis, plan, sessions, evaluation, abandonment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import (
    AbandonmentRecord,
    Case,
    Diagnosis,
    Evaluation,
    Goal,
    Indicator,
    Plan,
    Session,
)
from services.plans.repository import plans as repository
from services.plans.rules import (
    MINIMUM_SESSIONS,
    SESSION_KINDS,
    counts_toward_minimum,
    critical_indicators,
    trajectory,
)
from shared.contracts.plans import (
    AbandonmentReported,
    CaseOpened,
    DiagnosisCompleted,
    EvaluationCompleted,
    OpenCase,
    PlanSigned,
    SessionRecorded,
    SessionsCount,
    SessionsInMonth,
)
from shared.db.audit import record_audit
from shared.db.outbox import add_event
from shared.errors import Conflict, IllegalTransition, NotFound, ValidationFailed

PRODUCER = "plans"


class StaleVersion(Conflict):
    """Someone else saved this draft first: reload it and apply your change again."""

    code = "version_desactualizada"
    http_status = 412
    title = "El borrador cambió"


def _check_version(current: int, expected: int | None, what: str) -> None:
    if expected is not None and expected != current:
        raise StaleVersion(
            f"Otra persona modificó {what} mientras usted lo editaba (versión {current}, "
            f"usted tenía la {expected}). Recárguelo y vuelva a aplicar su cambio.",
            version_actual=current,
        )


class PlansService:
    # ---- the case ---------------------------------------------------------------------
    async def open_case(self, session: AsyncSession, command: OpenCase) -> CaseOpened:
        case = await repository.get_case(session, command.family_id)
        if case is None:
            case = Case(
                family_id=command.family_id,
                comuna=command.comuna,
                referred_on=command.referred_on,
                opened_at=datetime.now(UTC),
            )
            session.add(case)
            await session.flush()
        elif case.referred_on is None:  # opened first by an event of another owner
            case.comuna = case.comuna or command.comuna
            case.referred_on = command.referred_on
        return CaseOpened(family_id=case.family_id, opened_at=case.opened_at)

    async def get_case(self, session: AsyncSession, family_id: UUID, *, lock: bool = False) -> Case:
        query = select(Case).where(Case.family_id == family_id)
        case = await session.scalar(query.with_for_update() if lock else query)
        if case is None:
            raise NotFound("La familia no tiene expediente en planes")
        return case

    def _open(self, case: Case) -> None:
        if case.exited_on is not None:
            raise IllegalTransition(
                f"La familia egresó del programa ({case.exit_cause}): no admite cambios"
            )

    def _committed(self, case: Case, what: str) -> date:
        self._open(case)
        if case.committed_on is None:
            raise IllegalTransition(
                f"La familia aún no firma la carta de compromiso: no está en acompañamiento "
                f"y no se puede registrar {what}"
            )
        return case.committed_on

    # ---- diagnosis --------------------------------------------------------------------
    async def indicators(self, session: AsyncSession) -> dict[str, Indicator]:
        rows = await session.scalars(select(Indicator).where(Indicator.active.is_(True)))
        return {i.code: i for i in rows}

    async def start_diagnosis(
        self, session: AsyncSession, family_id: UUID, actor: str
    ) -> Diagnosis:
        case = await self.get_case(session, family_id, lock=True)
        self._committed(case, "un diagnóstico")
        existing = await session.scalar(select(Diagnosis).where(Diagnosis.family_id == family_id))
        if existing is not None:
            return existing
        diagnosis = Diagnosis(family_id=family_id, created_by=actor, items=[])
        session.add(diagnosis)
        await session.flush()
        return diagnosis

    async def get_diagnosis(self, session: AsyncSession, family_id: UUID) -> Diagnosis:
        diagnosis = await session.scalar(select(Diagnosis).where(Diagnosis.family_id == family_id))
        if diagnosis is None:
            raise NotFound("La familia aún no tiene diagnóstico")
        return diagnosis

    async def save_diagnosis(
        self,
        session: AsyncSession,
        family_id: UUID,
        items: list[dict[str, Any]],
        *,
        expected_version: int | None,
        actor: str,
    ) -> Diagnosis:
        diagnosis = await self.get_diagnosis(session, family_id)
        await session.refresh(diagnosis, with_for_update=True)
        if diagnosis.status != "borrador":
            raise IllegalTransition("El diagnóstico ya está completado: no se puede modificar")
        _check_version(diagnosis.lock_version, expected_version, "el diagnóstico")
        known = await self.indicators(session)
        for item in items:
            indicator = known.get(item["indicador"])
            if indicator is None:
                raise ValidationFailed(f"Indicador desconocido: {item['indicador']}")
            levels = {level["nivel"] for level in indicator.levels}
            if item["nivel"] is not None and item["nivel"] not in levels:
                raise ValidationFailed(
                    f"Nivel {item['nivel']} no existe para «{indicator.name}»: "
                    f"use {', '.join(str(n) for n in sorted(levels))}"
                )
        merged = {i["indicador"]: i for i in diagnosis.items}
        merged.update({i["indicador"]: i for i in items})
        diagnosis.items = list(merged.values())
        diagnosis.lock_version += 1
        await session.flush()
        return diagnosis

    async def complete_diagnosis(
        self,
        session: AsyncSession,
        family_id: UUID,
        *,
        expected_version: int | None,
        actor: str,
        today: date,
    ) -> Diagnosis:
        diagnosis = await self.get_diagnosis(session, family_id)
        await session.refresh(diagnosis, with_for_update=True)
        if diagnosis.status == "completado":
            raise Conflict("El diagnóstico ya estaba completado")
        _check_version(diagnosis.lock_version, expected_version, "el diagnóstico")
        known = await self.indicators(session)
        scored = {i["indicador"] for i in diagnosis.items if i.get("nivel") is not None}
        missing = [known[code].name for code in sorted(known) if code not in scored]
        if missing:
            raise ValidationFailed(
                "Faltan indicadores por evaluar: " + "; ".join(missing), faltantes=missing
            )
        diagnosis.status = "completado"
        diagnosis.completed_by = actor
        diagnosis.completed_on = today
        diagnosis.lock_version += 1
        critical = critical_indicators(
            diagnosis.items, {code: i.critical_at for code, i in known.items()}
        )
        await add_event(
            session,
            DiagnosisCompleted(
                family_id=family_id,
                diagnosis_id=diagnosis.id,
                completed_on=today,
                critical_indicators=critical,
            ),
            producer=PRODUCER,
            actor=actor,
            family_id=family_id,
        )
        await record_audit(
            session,
            actor=actor,
            action="diagnostico.completado",
            entity="family",
            entity_id=family_id,
        )
        return diagnosis

    # ---- the intervention plan ----------------------------------------------------------
    async def current_plans(self, session: AsyncSession, family_id: UUID) -> list[Plan]:
        return list(
            await session.scalars(
                select(Plan).where(Plan.family_id == family_id).order_by(Plan.revision)
            )
        )

    async def draft_plan(
        self,
        session: AsyncSession,
        family_id: UUID,
        goals: list[dict[str, Any]],
        asl_adults: int,
        *,
        expected_version: int | None,
        actor: str,
    ) -> Plan:
        """Create the draft (a new revision after a signed one) or replace its goals."""
        case = await self.get_case(session, family_id, lock=True)
        self._committed(case, "un plan de intervención")
        diagnosis = await session.scalar(select(Diagnosis).where(Diagnosis.family_id == family_id))
        if diagnosis is None or diagnosis.status != "completado":
            raise IllegalTransition("El plan se elabora después de completar el diagnóstico")
        plans = await self.current_plans(session, family_id)
        draft = next((p for p in plans if p.status == "borrador"), None)
        if draft is None:
            draft = Plan(
                family_id=family_id,
                revision=(plans[-1].revision + 1) if plans else 1,
                created_by=actor,
                goals=[],
            )
            session.add(draft)
        else:
            _check_version(draft.lock_version, expected_version, "el plan")
            draft.lock_version += 1
        dimensions = {i.dimension_code for i in (await self.indicators(session)).values()}
        for goal in goals:
            if goal["dimension"] not in dimensions:
                raise ValidationFailed(f"Dimensión desconocida: {goal['dimension']}")
        draft.asl_adults = asl_adults
        draft.goals.clear()
        await session.flush()
        draft.goals.extend(
            Goal(
                position=position,
                dimension_code=goal["dimension"],
                description=goal["descripcion"],
                actions=goal.get("acciones", []),
                responsible_member_id=goal.get("responsable_id"),
                target_date=goal.get("fecha_meta"),
                status=goal.get("estado", "pendiente"),
            )
            for position, goal in enumerate(goals)
        )
        await session.flush()
        await session.refresh(draft, ["goals"])
        return draft

    async def sign_plan(
        self,
        session: AsyncSession,
        family_id: UUID,
        *,
        signed_on: date,
        expected_version: int | None,
        actor: str,
        today: date,
    ) -> Plan:
        case = await self.get_case(session, family_id, lock=True)
        committed = self._committed(case, "la firma del plan")
        plans = await self.current_plans(session, family_id)
        draft = next((p for p in plans if p.status == "borrador"), None)
        if draft is None:
            raise IllegalTransition("No hay un borrador de plan para firmar")
        _check_version(draft.lock_version, expected_version, "el plan")
        if not draft.goals:
            raise ValidationFailed("El plan debe tener al menos una meta")
        if signed_on > today or signed_on < committed:
            raise ValidationFailed(
                "La fecha de firma debe estar entre la carta de compromiso y hoy"
            )
        draft.status = "firmado"
        draft.signed_on = signed_on
        draft.signed_by = actor
        draft.lock_version += 1
        kind = trajectory(draft.asl_adults)
        await add_event(
            session,
            PlanSigned(
                family_id=family_id,
                plan_id=draft.id,
                revision=draft.revision,
                signed_on=signed_on,
                trajectory=kind,
                minimum_sessions=MINIMUM_SESSIONS[kind],
                goals=len(draft.goals),
            ),
            producer=PRODUCER,
            actor=actor,
            family_id=family_id,
        )
        await record_audit(
            session,
            actor=actor,
            action="plan.firmado",
            entity="family",
            entity_id=family_id,
            revision=draft.revision,
        )
        return draft

    async def signed_plan(self, session: AsyncSession, family_id: UUID) -> Plan | None:
        return await session.scalar(
            select(Plan)
            .where(Plan.family_id == family_id, Plan.status == "firmado")
            .order_by(Plan.revision.desc())
            .limit(1)
        )

    # ---- sessions ---------------------------------------------------------------------
    async def record_session(
        self,
        session: AsyncSession,
        family_id: UUID,
        data: dict[str, Any],
        *,
        professional: str,
        today: date,
        health_emergency: bool,
    ) -> tuple[Session, bool, str | None]:
        """The session, whether it is new (a duplicate answers the existing one), a warning."""
        case = await self.get_case(session, family_id)
        committed = self._committed(case, "sesiones")
        held_on: date = data["fecha"]
        if held_on > today:
            raise ValidationFailed("La fecha de la sesión no puede ser futura")
        if held_on < committed:
            raise ValidationFailed(
                f"La fecha de la sesión es anterior a la carta de compromiso ({committed:%d-%m-%Y})"
            )
        kind = SESSION_KINDS[data["tipo"]]
        if kind.needs_asl:
            plan = await self.signed_plan(session, family_id)
            if plan is None or plan.asl_adults == 0:
                raise ValidationFailed(
                    "La familia no tiene acompañamiento sociolaboral (ASL) en su plan firmado"
                )
        if kind.remote and not health_emergency:
            note = "no cuenta para el mínimo de sesiones fuera de una emergencia sanitaria"
        else:
            note = None
        # One round trip: insert, or nothing when the same session is already recorded.
        recorded = await session.scalar(
            insert(Session)
            .values(
                id=uuid4(),
                family_id=family_id,
                held_on=held_on,
                kind=data["tipo"],
                dimensions=data.get("dimensiones", []),
                goal_ids=[str(g) for g in data.get("metas", [])],
                attendee_ids=[str(a) for a in data.get("asistentes", [])],
                attendance=data["asistencia"],
                notes=data.get("notas"),
                professional=professional,
            )
            .on_conflict_do_nothing(index_elements=["family_id", "held_on", "kind", "professional"])
            .returning(Session)
        )
        if recorded is None:
            existing = await session.scalar(
                select(Session).where(
                    Session.family_id == family_id,
                    Session.held_on == held_on,
                    Session.kind == data["tipo"],
                    Session.professional == professional,
                )
            )
            assert existing is not None
            return existing, False, note
        await add_event(
            session,
            SessionRecorded(
                family_id=family_id,
                session_id=recorded.id,
                held_on=held_on,
                kind=data["tipo"],
                attendance=data["asistencia"],
                counts_toward_minimum=counts_toward_minimum(
                    data["tipo"], data["asistencia"], health_emergency=health_emergency
                ),
            ),
            producer=PRODUCER,
            actor=professional,
            family_id=family_id,
        )
        return recorded, True, note

    async def sessions_in_month(
        self, session: AsyncSession, query: SessionsInMonth, *, health_emergency: bool
    ) -> SessionsCount:
        case = await self.get_case(session, query.family_id)
        first = date(query.year, query.month, 1)
        after = (first + timedelta(days=32)).replace(day=1)
        rows = (
            await session.execute(
                select(Session.held_on, Session.kind, Session.attendance).where(
                    Session.family_id == case.family_id, Session.held_on < after
                )
            )
        ).all()

        def counted(kind: str, attendance: str) -> bool:
            return counts_toward_minimum(kind, attendance, health_emergency=health_emergency)

        month = [r for r in rows if r.held_on >= first]
        plan = await self.signed_plan(session, case.family_id)
        return SessionsCount(
            family_id=case.family_id,
            year=query.year,
            month=query.month,
            held=len(month),
            attended=sum(1 for r in month if r.attendance == "asistio"),
            counted_in_month=sum(1 for r in month if counted(r.kind, r.attendance)),
            counted_total=sum(1 for r in rows if counted(r.kind, r.attendance)),
            minimum_total=MINIMUM_SESSIONS[trajectory(plan.asl_adults)] if plan else None,
        )

    # ---- evaluation and abandonment --------------------------------------------------
    async def evaluate(
        self,
        session: AsyncSession,
        family_id: UUID,
        data: dict[str, Any],
        *,
        actor: str,
        today: date,
    ) -> Evaluation:
        case = await self.get_case(session, family_id, lock=True)
        self._committed(case, "la evaluación")
        if await session.get(Evaluation, family_id) is not None:
            raise Conflict("La evaluación final de esta familia ya está registrada")
        plan = await self.signed_plan(session, family_id)
        if plan is None:
            raise IllegalTransition("La evaluación final requiere un plan de intervención firmado")
        known = await self.indicators(session)
        scored = {i["indicador"] for i in data["items"]}
        unknown = scored - set(known)
        if unknown:
            raise ValidationFailed("Indicadores desconocidos: " + ", ".join(sorted(unknown)))
        missing = [known[c].name for c in sorted(known) if c not in scored]
        if missing:
            raise ValidationFailed("Faltan indicadores por evaluar: " + "; ".join(missing))
        goal_ids = {str(g.id) for g in plan.goals}
        achieved = [str(g) for g in data.get("metas_logradas", [])]
        if not set(achieved) <= goal_ids:
            raise ValidationFailed("Alguna meta indicada no pertenece al plan firmado")
        evaluation = Evaluation(
            family_id=family_id,
            evaluated_on=data.get("fecha") or today,
            items=data["items"],
            goals_achieved=achieved,
            notes=data.get("notas"),
            completed_by=actor,
        )
        session.add(evaluation)
        await session.flush()
        await add_event(
            session,
            EvaluationCompleted(
                family_id=family_id,
                evaluated_on=evaluation.evaluated_on,
                goals_achieved=len(achieved),
                goals_total=len(goal_ids),
            ),
            producer=PRODUCER,
            actor=actor,
            family_id=family_id,
        )
        return evaluation

    async def comparison(self, session: AsyncSession, family_id: UUID) -> list[dict[str, Any]]:
        """Before (diagnosis) and after (evaluation), per dimension and indicator."""
        diagnosis = await self.get_diagnosis(session, family_id)
        evaluation = await session.get(Evaluation, family_id)
        if evaluation is None:
            raise NotFound("La familia aún no tiene evaluación final")
        known = await self.indicators(session)
        before = {i["indicador"]: i.get("nivel") for i in diagnosis.items}
        after = {i["indicador"]: i.get("nivel") for i in evaluation.items}
        return [
            {
                "dimension": indicator.dimension_code,
                "indicador": code,
                "nombre": indicator.name,
                "antes": before.get(code),
                "despues": after.get(code),
                "cambio": _change(before.get(code), after.get(code)),
            }
            for code, indicator in sorted(known.items(), key=lambda kv: kv[1].position)
        ]

    async def file_abandonment_record(
        self,
        session: AsyncSession,
        family_id: UUID,
        data: dict[str, Any],
        *,
        actor: str,
        today: date,
    ) -> AbandonmentRecord:
        case = await self.get_case(session, family_id, lock=True)
        self._committed(case, "documentos de abandono")
        if data["fecha"] > today:
            raise ValidationFailed("La fecha del documento no puede ser futura")
        previous = {
            r.kind
            for r in await session.scalars(
                select(AbandonmentRecord).where(AbandonmentRecord.family_id == family_id)
            )
        }
        order = ["aviso", "visita", "informe", "recomendacion"]
        needed = order[: order.index(data["tipo"])]
        missing = [k for k in needed if k not in previous]
        if missing:
            raise IllegalTransition(
                "El procedimiento de abandono sigue un orden: falta antes " + ", ".join(missing)
            )
        if data["tipo"] == "recomendacion" and not data.get("recomendacion"):
            raise ValidationFailed("Indique la recomendación: egreso o reincorporación")
        record = AbandonmentRecord(
            family_id=family_id,
            kind=data["tipo"],
            dated=data["fecha"],
            author=actor,
            content=data["contenido"],
            recommendation=data.get("recomendacion"),
        )
        session.add(record)
        await session.flush()
        await add_event(
            session,
            AbandonmentReported(
                family_id=family_id,
                record_id=record.id,
                kind=data["tipo"],
                dated=record.dated,
                recommendation=record.recommendation,
            ),
            producer=PRODUCER,
            actor=actor,
            family_id=family_id,
        )
        return record

    # ---- what a professional has to do ----------------------------------------------
    async def tasks(
        self,
        session: AsyncSession,
        professional: UUID,
        *,
        today: date,
        diagnosis_deadline_days: int,
    ) -> list[dict[str, Any]]:
        cases = list(
            await session.scalars(
                select(Case).where(
                    Case.apoyo_familiar_id == professional,
                    Case.exited_on.is_(None),
                    Case.committed_on.is_not(None),
                )
            )
        )
        if not cases:
            return []
        ids = [c.family_id for c in cases]
        diagnoses = {
            d.family_id: d
            for d in await session.scalars(select(Diagnosis).where(Diagnosis.family_id.in_(ids)))
        }
        signed = set(
            await session.scalars(
                select(Plan.family_id).where(Plan.family_id.in_(ids), Plan.status == "firmado")
            )
        )
        month_start = today.replace(day=1)
        seen = set(
            await session.scalars(
                select(Session.family_id).where(
                    Session.family_id.in_(ids),
                    Session.held_on >= month_start,
                    Session.attendance == "asistio",
                )
            )
        )
        abandonment = await session.execute(
            select(AbandonmentRecord.family_id, func.array_agg(AbandonmentRecord.kind))
            .where(AbandonmentRecord.family_id.in_(ids))
            .group_by(AbandonmentRecord.family_id)
        )
        warned = {family: set(kinds) for family, kinds in abandonment}
        tasks: list[dict[str, Any]] = []
        for case in cases:
            assert case.committed_on is not None
            diagnosis = diagnoses.get(case.family_id)
            if diagnosis is None or diagnosis.status != "completado":
                due = case.committed_on + timedelta(days=diagnosis_deadline_days)
                tasks.append(
                    _task(case, "completar_diagnostico", "Completar el diagnóstico", due, today)
                )
            elif case.family_id not in signed:
                tasks.append(
                    _task(
                        case, "firmar_plan", "Acordar y firmar el plan de intervención", None, today
                    )
                )
            elif case.family_id not in seen:
                tasks.append(
                    _task(case, "sesion_del_mes", "Sin sesión con la familia este mes", None, today)
                )
            kinds = warned.get(case.family_id, set())
            if "aviso" in kinds and "visita" not in kinds:
                tasks.append(
                    _task(case, "visita_abandono", "Visita domiciliaria por abandono", None, today)
                )
        return sorted(tasks, key=lambda t: (not t["vencida"], t["vence"] or "9999"))


def _change(before: Any, after: Any) -> int | None:
    if isinstance(before, int) and isinstance(after, int):
        return after - before
    return None


def _task(case: Case, kind: str, label: str, due: date | None, today: date) -> dict[str, Any]:
    return {
        "family_id": str(case.family_id),
        "tipo": kind,
        "descripcion": label,
        "vence": due.isoformat() if due else None,
        "vencida": bool(due and due < today),
    }


plans_service = PlansService()
