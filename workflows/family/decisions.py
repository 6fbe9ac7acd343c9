"""Operator decisions, the workflow's updates: each `check_*` refuses an illegal one with
its reason in Spanish (run by the update's validator, so a refusal leaves no trace in the
history), the function of the same name applies it."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.lifecycle import (
    AbandonmentDecision,
    CloseRequest,
    DateCorrection,
    PauseRequest,
)
from workflows.family.phases import exit_family, start_accompaniment
from workflows.family.state import FamilyState
from workflows.family.timeline import record

ALREADY_CLOSED = "La familia ya egresó del programa"
# The dates an operator may correct (`hecho`), and the fact each one sets.
CORRECTABLE = {
    "derivacion": "referred_on",
    "compromiso": "committed_on",
    "diagnostico": "diagnosis_on",
    "plan": "plan_signed_on",
}


def check_abandonment_decision(state: FamilyState) -> None:
    if state.closed:
        raise ValueError(ALREADY_CLOSED)
    if state.abandonment is None:
        raise ValueError("No hay un procedimiento de abandono abierto para esta familia")
    if state.abandonment.visit_on is None:
        raise ValueError("Falta la visita domiciliaria documentada antes de decidir")


def decide_abandonment(state: FamilyState, decision: AbandonmentDecision, now: datetime) -> None:
    actor = decision.usuario
    if decision.confirmar:
        record(
            state,
            now,
            "decision",
            f"El Jefe/a de Unidad confirma el abandono: {decision.motivo}",
            actor=actor,
        )
        exit_family(state, "abandono", now, actor=actor)
    else:
        record(
            state,
            now,
            "decision",
            f"El Jefe/a de Unidad reincorpora a la familia: {decision.motivo}",
            actor=actor,
        )
        state.abandonment = None
        state.months_without_session = 0


def check_close(state: FamilyState, request: CloseRequest) -> None:
    if state.closed:
        raise ValueError(ALREADY_CLOSED)
    if request.causal not in ("renuncia", "fallecimiento", "traslado"):
        raise ValueError(
            "Por esta vía solo se registra renuncia, fallecimiento o traslado; el abandono "
            "se decide con decidir_abandono y el cumplimiento llega con la evaluación"
        )


def close(state: FamilyState, request: CloseRequest, now: datetime) -> None:
    actor = request.usuario
    record(state, now, "decision", f"Cierre solicitado: {request.motivo}", actor=actor)
    exit_family(state, request.causal, now, actor=actor)


def check_pause(state: FamilyState) -> None:
    if state.closed:
        raise ValueError(ALREADY_CLOSED)
    if state.paused:
        raise ValueError("El proceso ya está en pausa")


def pause(state: FamilyState, request: PauseRequest, now: datetime) -> None:
    state.paused = True
    record(state, now, "pausa", f"Proceso en pausa: {request.motivo}", actor=request.usuario)


def check_resume(state: FamilyState) -> None:
    if not state.paused:
        raise ValueError("El proceso no está en pausa")


def resume(state: FamilyState, request: PauseRequest, now: datetime) -> None:
    state.paused = False
    record(state, now, "pausa", f"Proceso reanudado: {request.motivo}", actor=request.usuario)


def check_date_correction(state: FamilyState, correction: DateCorrection) -> None:
    field = CORRECTABLE.get(correction.hecho)
    if field is None:
        raise ValueError(
            "Solo se corrigen las fechas de derivacion, compromiso, diagnostico o plan"
        )
    if getattr(state, field) is None:
        raise ValueError(f"La fecha de {correction.hecho} aún no está registrada")
    if correction.hecho == "plan" and state.plan_month > 0:
        raise ValueError("El acompañamiento ya comenzó: la fecha del plan no se puede corregir")
    if state.closed:
        raise ValueError(ALREADY_CLOSED)


def correct_date(state: FamilyState, correction: DateCorrection, now: datetime) -> None:
    """Deadlines follow from the corrected fact; a corrected plan date before month 1
    moves month 1."""
    field = CORRECTABLE[correction.hecho]
    before = getattr(state, field)
    setattr(state, field, correction.fecha)
    if field == "plan_signed_on" and state.plan_month == 0 and state.first_month:
        state.first_month = None
        start_accompaniment(state, now)
    record(
        state,
        now,
        "correccion",
        f"Fecha de {correction.hecho} corregida de {before:%d-%m-%Y} a "
        f"{correction.fecha:%d-%m-%Y}: {correction.motivo}",
        actor=correction.usuario,
    )
