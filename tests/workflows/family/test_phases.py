"""Every phase path of DOMAIN.md §2, as FamilyLifecycle implements it, in seconds.

The workflow runs on Temporal's time-skipping test server with the services stood in
(`stand_ins.py`); facts arrive through the bridge as real envelopes. Each test lives on its
own explicit calendar in 2090, under the default policy: 30 days to locate the family, 30
to diagnose and 30 to sign the plan (then a reminder, and an escalation 7 days later), 2
months without a session open the abandonment procedure, 15 days for its home visit, plan
month 1 is the calendar month after the signatures, 24 months.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest
from temporalio.testing import WorkflowEnvironment

from shared.contracts import search
from shared.contracts.intake import (
    FamilyAssigned,
    FamilyCommitted,
    FamilyContacted,
    FamilyInvited,
    FamilyMoved,
    FamilyUpdated,
    RepresentativeChanged,
)
from shared.contracts.lifecycle import (
    AbandonmentDecision,
    CloseRequest,
    DateCorrection,
    PauseRequest,
)
from shared.contracts.payments import TransferExpired, TransferRejected, TransferSettled
from shared.contracts.plans import (
    AbandonmentReported,
    DiagnosisCompleted,
    EvaluationCompleted,
    PlanSigned,
    SessionRecorded,
)
from tests.workflows.family.stand_ins import (
    Family,
    StandInServices,
    at,
    local_day,
    programme,
)


@pytest.fixture
def services() -> StandInServices:
    return StandInServices()


@pytest.fixture
async def env(services: StandInServices) -> AsyncIterator[WorkflowEnvironment]:
    async with programme(services) as env:
        yield env


def contacted(family: Family, attempt: int, on: date, *, located: bool) -> FamilyContacted:
    channel = "visita" if located else "telefono"
    return FamilyContacted(
        family_id=family.family_id,
        attempt_number=attempt,
        attempted_on=on,
        channel=channel,
        located=located,
    )


def committed(family: Family, on: date) -> FamilyCommitted:
    return FamilyCommitted(
        family_id=family.family_id,
        signed_on=on,
        representative_member_id=uuid.uuid4(),
        document_ref="carta-compromiso.pdf",
    )


def plan_signed(family: Family, on: date) -> PlanSigned:
    return PlanSigned(
        family_id=family.family_id,
        plan_id=uuid.uuid4(),
        revision=1,
        signed_on=on,
        trajectory="simple",
        minimum_sessions=12,
        goals=3,
    )


def visit_report(family: Family, on: date) -> AbandonmentReported:
    return AbandonmentReported(
        family_id=family.family_id, record_id=uuid.uuid4(), kind="visita", dated=on
    )


async def test_a_referred_family_has_its_case_opened_and_waits_to_be_located(
    env: WorkflowEnvironment, services: StandInServices
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    state = await family.state()
    assert state.phase == "contacto"
    assert state.waiting_for == "localizar a la familia"
    assert state.next_deadline == at(date(2090, 4, 3), hour=0)  # 30 days, at midnight
    [case] = services.requests("open_case")
    assert case.idempotency_key == f"{family.family_id}:case:open"
    assert case.referred_on == date(2090, 3, 4)
    referral, opened, phase = await family.timeline()
    assert referral.actor == "ana.perez"
    assert referral.description == (
        f"Familia {family.referred.family_code} derivada en la nómina 2090 de Conchalí "
        "(4 integrantes)"
    )
    assert opened.description == "Expediente abierto en el servicio de planes"
    assert phase.description == "Fase: Contacto y localización"


async def test_an_unlocated_family_exits_as_no_localizada_at_the_contact_deadline(
    env: WorkflowEnvironment, services: StandInServices
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.on(date(2090, 3, 8))
    await family.send(contacted(family, 1, date(2090, 3, 8), located=False))
    await family.on(date(2090, 4, 4))
    assert await family.exit_cause() == "no_localizada"
    timeline = await family.timeline()
    assert [e.kind for e in timeline] == [
        "derivacion",
        "expediente",
        "fase",
        "contacto",
        "plazo",
        "egreso",
    ]
    assert timeline[3].description == "Intento de contacto 1 (telefono): sin localizar"
    assert timeline[4].description == "Venció el plazo de 30 días para localizar a la familia"
    assert local_day(timeline[4]) == date(2090, 4, 3)
    assert timeline[5].description == "Egreso: Familia no localizada"
    [closed] = services.requests("close_family")
    assert (closed.exit_cause, closed.exited_on) == ("no_localizada", date(2090, 4, 3))
    [exited] = services.requests("publish_exited")
    assert (exited.exit_cause, exited.exited_on) == ("no_localizada", date(2090, 4, 3))


async def test_a_family_that_declines_the_invitation_exits_as_rechaza(
    env: WorkflowEnvironment, services: StandInServices
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.on(date(2090, 3, 6))
    # Out of order: the answer to the invitation arrives before the contact that led to it.
    await family.send(
        FamilyInvited(
            family_id=family.family_id,
            invited_on=date(2090, 3, 6),
            accepted=False,
            reason="No desea participar",
        )
    )
    await family.send(contacted(family, 1, date(2090, 3, 6), located=True))
    assert await family.exit_cause() == "rechaza"
    lines = [(e.kind, e.description) for e in await family.timeline()][3:]
    assert lines == [
        ("invitacion", "La familia rechaza la invitación: No desea participar"),
        ("contacto", "Intento de contacto 1 (visita): familia localizada"),
        ("fase", "Fase: Invitación"),
        ("egreso", "Egreso: La familia rechaza la invitación"),
    ]
    [closed] = services.requests("close_family")
    assert (closed.exit_cause, closed.exited_on) == ("rechaza", date(2090, 3, 6))


async def test_a_family_completes_24_months_of_accompaniment_and_exits_as_cumplimiento(
    env: WorkflowEnvironment, services: StandInServices
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    fid = family.family_id
    await family.on(date(2090, 3, 7))
    staff_id = uuid.uuid4()
    await family.send(FamilyAssigned(family_id=fid, staff_id=staff_id, reason="Primera asignación"))
    await family.on(date(2090, 3, 8))
    await family.send(contacted(family, 1, date(2090, 3, 8), located=False))
    await family.on(date(2090, 3, 11))
    await family.send(contacted(family, 2, date(2090, 3, 11), located=True))
    await family.on(date(2090, 3, 15))
    await family.send(FamilyInvited(family_id=fid, invited_on=date(2090, 3, 15), accepted=True))
    await family.on(date(2090, 3, 20))
    await family.send(committed(family, date(2090, 3, 20)))
    await family.on(date(2090, 4, 10))
    await family.send(
        DiagnosisCompleted(
            family_id=fid,
            diagnosis_id=uuid.uuid4(),
            completed_on=date(2090, 4, 10),
            critical_indicators=["SAL-1", "VIV-3"],
        )
    )
    await family.on(date(2090, 4, 25))
    await family.send(plan_signed(family, date(2090, 4, 25)))
    state = await family.wait_for(lambda s: s.phase == "acompanamiento")
    assert state.next_deadline == at(date(2090, 5, 1), hour=0)  # plan month 1 is May 2090

    await family.on(date(2090, 5, 2))
    described = await family.handle.describe()
    assert described.typed_search_attributes.get(search.PHASE) == "acompanamiento"
    assert described.typed_search_attributes.get(search.APOYO_FAMILIAR) == str(staff_id)

    await family.on(date(2092, 5, 2))  # months 1 to 24: May 2090 to April 2092
    state = await family.wait_for(lambda s: s.phase == "evaluacion")
    assert state.plan_month == 24
    assert state.waiting_for == "evaluación final"
    await family.on(date(2092, 5, 20))
    await family.send(
        EvaluationCompleted(
            family_id=fid, evaluated_on=date(2092, 5, 20), goals_achieved=3, goals_total=3
        )
    )
    assert await family.exit_cause() == "cumplimiento"

    months = [
        "2090-05", "2090-06", "2090-07", "2090-08", "2090-09", "2090-10", "2090-11", "2090-12",
        "2091-01", "2091-02", "2091-03", "2091-04", "2091-05", "2091-06", "2091-07", "2091-08",
        "2091-09", "2091-10", "2091-11", "2091-12", "2092-01", "2092-02", "2092-03", "2092-04",
    ]  # fmt: skip
    owed = services.requests("register_entitlement")
    assert [f"{e.period:%Y-%m}" for e in owed] == months
    assert [e.plan_month for e in owed] == list(range(1, 25))
    assert owed[0].idempotency_key == f"{fid}:2090-05:bono_proteccion"
    counted = services.requests("sessions_in_month")
    assert [f"{q.year}-{q.month:02d}" for q in counted] == months
    assert services.requests("hold_payments") == []
    [closed] = services.requests("close_family")
    assert (closed.exit_cause, closed.exited_on) == ("cumplimiento", date(2092, 5, 20))

    timeline = await family.timeline()
    assert [e.description for e in timeline if e.kind == "fase"] == [
        "Fase: Contacto y localización",
        "Fase: Invitación",
        "Fase: Firma de carta de compromiso",
        "Fase: Diagnóstico Eje",
        "Fase: Plan de intervención",
        "Fase: Acompañamiento",
        "Fase: Evaluación y cierre",
    ]
    described_lines = {e.description for e in timeline}
    assert "Diagnóstico completado (2 indicadores críticos)" in described_lines
    assert "El mes 1 del plan es 05-2090; las transferencias parten ese mes" in described_lines
    assert "Mes 24 cerrado: 1 sesiones" in described_lines
    assert "Evaluación final: 3 de 3 metas logradas" in described_lines
    entitlements = [e.description for e in timeline if e.kind == "derecho"]
    assert len(entitlements) == 24
    assert entitlements[0] == "Mes 1 (05-2090): Bono de Protección de $22.000 registrado"
    assert entitlements[-1] == "Mes 24 (04-2092): Bono de Protección de $22.000 registrado"
    assert sum(e.kind == "mes" for e in timeline) == 24 + 24  # each month begins and closes
    assert timeline[-1].description == "Egreso: Cumplimiento de los 24 meses"
    history = await family.handle.fetch_history()
    assert len(history.events) < 200  # each month continues as new: no run grows


async def test_a_late_diagnosis_is_reminded_then_escalated_to_the_unit_head(
    env: WorkflowEnvironment,
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    fid = family.family_id
    await family.on(date(2090, 3, 10))
    await family.send(contacted(family, 1, date(2090, 3, 10), located=True))
    await family.send(FamilyInvited(family_id=fid, invited_on=date(2090, 3, 10), accepted=True))
    await family.send(committed(family, date(2090, 3, 10)))
    state = await family.wait_for(lambda s: s.phase == "diagnostico")
    assert state.next_deadline == at(date(2090, 4, 9), hour=0)  # 30 days after the letter

    await family.on(date(2090, 4, 12))
    [reminder] = await family.wait_for_line("recordatorio")
    assert reminder.description == "Recordatorio: venció el plazo para completar el diagnóstico"
    assert local_day(reminder) == date(2090, 4, 9)
    state = await family.state()
    assert state.next_deadline == at(date(2090, 4, 16), hour=0)  # escalation, 7 days later
    assert "escalamiento" not in await family.kinds()
    assert state.pending_tasks == []

    await family.on(date(2090, 4, 17))
    [escalation] = await family.wait_for_line("escalamiento")
    assert escalation.description == (
        "Escalamiento al Jefe/a de Unidad: sigue pendiente completar el diagnóstico"
    )
    assert local_day(escalation) == date(2090, 4, 16)
    state = await family.state()
    assert (state.phase, state.pending_tasks, state.next_deadline) == (
        "diagnostico",
        ["diagnostico"],
        None,
    )

    await family.on(date(2090, 4, 20))
    await family.send(
        DiagnosisCompleted(
            family_id=fid,
            diagnosis_id=uuid.uuid4(),
            completed_on=date(2090, 4, 20),
            critical_indicators=[],
        )
    )
    state = await family.wait_for(lambda s: s.phase == "plan")
    assert state.next_deadline == at(date(2090, 5, 20), hour=0)  # 30 days to sign the plan


async def test_two_months_without_sessions_open_an_abandonment_the_unit_head_confirms(
    env: WorkflowEnvironment, services: StandInServices
) -> None:
    services.sessions_each_month = 0
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.agrees_on(date(2090, 3, 25))  # plan month 1 is April 2090
    await family.on(date(2090, 4, 5))
    no_procedure = AbandonmentDecision(confirmar=True, motivo="Sin contacto", usuario="jefa")
    assert await family.refusal("decidir_abandono", no_procedure) == (
        "No hay un procedimiento de abandono abierto para esta familia"
    )

    await family.on(date(2090, 6, 5))  # April and May closed without a session
    [opened] = await family.wait_for_line("abandono")
    assert opened.description == (
        "Se abre el procedimiento de abandono (2 meses seguidos sin sesiones): visita "
        "domiciliaria documentada antes del 16-06-2090"
    )
    assert local_day(opened) == date(2090, 6, 1)
    [held] = await family.wait_for_line("retencion")
    assert local_day(held) == date(2090, 6, 1)  # the same day: no cycle pays in between
    assert held.description == (
        "Pagos retenidos (procedimiento de abandono abierto): 3 órdenes en espera"
    )  # April, May and June
    state = await family.state()
    assert state.waiting_for == "visita domiciliaria por abandono"
    assert state.pending_tasks == ["visita domiciliaria por abandono"]
    assert state.next_deadline == at(date(2090, 6, 16), hour=0)
    before_the_visit = AbandonmentDecision(
        confirmar=True, motivo="Sin contacto desde marzo", usuario="jefa.unidad"
    )
    assert await family.refusal("decidir_abandono", before_the_visit) == (
        "Falta la visita domiciliaria documentada antes de decidir"
    )

    await family.on(date(2090, 6, 10))
    await family.send(visit_report(family, date(2090, 6, 10)))
    await family.wait_for(
        lambda s: s.waiting_for == "decisión del Jefe/a de Unidad sobre el abandono"
    )
    assert [e.kind for e in await family.timeline()].count("retencion") == 1

    await family.on(date(2090, 6, 12))
    await family.update(
        "decidir_abandono",
        AbandonmentDecision(
            confirmar=True, motivo="Sin contacto desde marzo", usuario="jefa.unidad"
        ),
    )
    assert await family.exit_cause() == "abandono"
    timeline = await family.timeline()
    decision = next(e for e in timeline if e.kind == "decision")
    assert (
        decision.description == "El Jefe/a de Unidad confirma el abandono: Sin contacto desde marzo"
    )
    assert decision.actor == "jefa.unidad"
    assert timeline[-1].actor == "jefa.unidad"
    [closed] = services.requests("close_family")
    assert (closed.exit_cause, closed.exited_on) == ("abandono", date(2090, 6, 12))


async def test_a_reinstated_family_has_its_held_payments_released_and_its_count_restarted(
    env: WorkflowEnvironment, services: StandInServices
) -> None:
    services.sessions_each_month = 0
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.agrees_on(date(2090, 3, 25))
    await family.on(date(2090, 6, 10))  # the procedure opened on 1 June
    await family.send(visit_report(family, date(2090, 6, 10)))
    await family.wait_for_line("retencion")
    assert set(services.orders.values()) == {"retenida"}

    state = await family.update(
        "decidir_abandono",
        AbandonmentDecision(confirmar=False, motivo="Retoma las sesiones", usuario="jefa.unidad"),
    )
    assert (state.phase, state.plan_month, state.pending_tasks) == ("acompanamiento", 3, [])
    released = await family.wait_for_line("retencion", count=2)
    assert [e.description for e in released] == [
        "Pagos retenidos (procedimiento de abandono abierto): 3 órdenes en espera",
        "Pagos liberados: 3 órdenes vuelven al próximo ciclo",
    ]
    holds = services.requests("hold_payments")
    assert [(h.hold, h.reason) for h in holds] == [
        (True, "procedimiento de abandono abierto"),
        (False, "proceso reanudado"),
    ]
    assert [h.idempotency_key for h in holds] == [
        f"{family.family_id}:retencion:1",
        f"{family.family_id}:retencion:2",
    ]
    assert set(services.orders.values()) == {"pendiente"}

    await family.on(date(2090, 7, 2))  # June closes without a session: the count restarts
    closes = [e.description for e in await family.wait_for_line("mes", count=7)]
    assert closes[-2:] == ["Mes 3 cerrado sin sesiones (1 seguidos)", "Inicio del mes 4 del plan"]
    assert (await family.state()).pending_tasks == []


@pytest.mark.parametrize(
    ("cause", "label", "intake_closes"),
    [
        ("renuncia", "Renuncia de la familia", True),
        ("fallecimiento", "Fallecimiento del representante", True),
        ("traslado", "Traslado a otra comuna", False),  # the case moves with the family
    ],
)
async def test_an_operator_closes_the_process_for_resignation_death_or_a_move(
    env: WorkflowEnvironment,
    services: StandInServices,
    cause: str,
    label: str,
    intake_closes: bool,
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.agrees_on(date(2090, 3, 25))
    await family.on(date(2090, 5, 6))
    await family.update(
        "cerrar", CloseRequest(causal=cause, motivo="Carta firmada por la familia", usuario="afi")
    )
    assert await family.exit_cause() == cause
    *_, request, exit_line = await family.timeline()
    assert (request.description, request.actor) == (
        "Cierre solicitado: Carta firmada por la familia",
        "afi",
    )
    assert (exit_line.description, exit_line.actor) == (f"Egreso: {label}", "afi")
    closed = [(c.exit_cause, c.exited_on) for c in services.requests("close_family")]
    assert closed == ([(cause, date(2090, 5, 6))] if intake_closes else [])
    [exited] = services.requests("publish_exited")
    assert (exited.exit_cause, exited.exited_on) == (cause, date(2090, 5, 6))


async def test_close_refuses_the_causes_that_come_another_way(env: WorkflowEnvironment) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    reason = (
        "Por esta vía solo se registra renuncia, fallecimiento o traslado; el abandono se "
        "decide con decidir_abandono y el cumplimiento llega con la evaluación"
    )
    for cause in ("cumplimiento", "abandono", "no_localizada"):
        request = CloseRequest(causal=cause, motivo="No corresponde", usuario="afi")
        assert await family.refusal("cerrar", request) == reason
    assert (await family.state()).phase == "contacto"


async def test_a_corrected_letter_date_moves_the_diagnosis_deadline(
    env: WorkflowEnvironment,
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    fid = family.family_id
    await family.on(date(2090, 3, 10))
    await family.send(contacted(family, 1, date(2090, 3, 10), located=True))
    await family.send(FamilyInvited(family_id=fid, invited_on=date(2090, 3, 10), accepted=True))
    await family.send(committed(family, date(2090, 3, 10)))
    state = await family.wait_for(lambda s: s.phase == "diagnostico")
    assert state.next_deadline == at(date(2090, 4, 9), hour=0)

    corrected = await family.update(
        "corregir_fecha",
        DateCorrection(
            hecho="compromiso",
            fecha=date(2090, 3, 1),
            motivo="Error de digitación",
            usuario="afi.camila",
        ),
    )
    assert corrected.next_deadline == at(date(2090, 3, 31), hour=0)
    *_, line = await family.timeline()
    assert (line.kind, line.actor) == ("correccion", "afi.camila")
    assert line.description == (
        "Fecha de compromiso corregida de 10-03-2090 a 01-03-2090: Error de digitación"
    )
    not_a_date = DateCorrection(
        hecho="evaluacion", fecha=date(2090, 3, 1), motivo="Error", usuario="afi"
    )
    assert await family.refusal("corregir_fecha", not_a_date) == (
        "Solo se corrigen las fechas de derivacion, compromiso, diagnostico o plan"
    )
    not_yet = DateCorrection(
        hecho="diagnostico", fecha=date(2090, 3, 1), motivo="Error", usuario="afi"
    )
    assert await family.refusal("corregir_fecha", not_yet) == (
        "La fecha de diagnostico aún no está registrada"
    )


async def test_a_corrected_plan_date_moves_plan_month_1_until_it_begins(
    env: WorkflowEnvironment, services: StandInServices
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    fid = family.family_id
    await family.on(date(2090, 3, 20))
    await family.send(contacted(family, 1, date(2090, 3, 20), located=True))
    await family.send(FamilyInvited(family_id=fid, invited_on=date(2090, 3, 20), accepted=True))
    await family.send(committed(family, date(2090, 3, 20)))
    await family.send(
        DiagnosisCompleted(
            family_id=fid,
            diagnosis_id=uuid.uuid4(),
            completed_on=date(2090, 3, 25),
            critical_indicators=[],
        )
    )
    await family.on(date(2090, 4, 2))
    await family.send(plan_signed(family, date(2090, 4, 2)))  # typed 2 April: month 1 is May
    await family.wait_for(lambda s: s.phase == "acompanamiento")
    await family.on(date(2090, 4, 3))
    before = await family.run_id()
    await family.update(
        "corregir_fecha",
        DateCorrection(
            hecho="plan", fecha=date(2090, 3, 28), motivo="Firmado en marzo", usuario="afi"
        ),
    )
    # Month 1 is now April, already under way: it begins at once, is owed, and its run ends.
    await family.continued_as_new(before)
    [owed] = await family.wait_for_line("derecho")
    assert owed.description == "Mes 1 (04-2090): Bono de Protección de $22.000 registrado"
    assert [e.description for e in await family.timeline() if e.kind == "acompanamiento"] == [
        "El mes 1 del plan es 05-2090; las transferencias parten ese mes",
        "El mes 1 del plan es 04-2090; las transferencias parten ese mes",
    ]
    [registered] = services.requests("register_entitlement")
    assert (registered.period, registered.plan_month) == (date(2090, 4, 1), 1)
    again = DateCorrection(hecho="plan", fecha=date(2090, 3, 20), motivo="Otra", usuario="afi")
    assert await family.refusal("corregir_fecha", again) == (
        "El acompañamiento ya comenzó: la fecha del plan no se puede corregir"
    )


async def test_a_paused_process_holds_payments_and_counts_no_month_until_resumed(
    env: WorkflowEnvironment, services: StandInServices
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.agrees_on(date(2090, 3, 25))
    await family.on(date(2090, 5, 10))  # plan month 2 (May) under way
    assert await family.refusal("reanudar", PauseRequest(motivo="Sin pausa", usuario="afi")) == (
        "El proceso no está en pausa"
    )
    paused = await family.update(
        "pausar", PauseRequest(motivo="Hospitalización del representante", usuario="afi")
    )
    assert (paused.plan_month, paused.waiting_for, paused.next_deadline) == (2, None, None)
    [held] = await family.wait_for_line("retencion")
    assert held.description == "Pagos retenidos (proceso en pausa): 2 órdenes en espera"
    assert await family.refusal("pausar", PauseRequest(motivo="Otra vez", usuario="afi")) == (
        "El proceso ya está en pausa"
    )

    await family.on(date(2090, 6, 15))  # no timer runs while paused: 1 June passes unseen
    assert (await family.state()).plan_month == 2
    assert [(q.year, q.month) for q in services.requests("sessions_in_month")] == [(2090, 4)]

    paused_run = await family.run_id()
    await family.update("reanudar", PauseRequest(motivo="Alta médica", usuario="afi"))
    # Resumed: the payments come back, and May, which ended meanwhile, is closed now.
    await family.continued_as_new(paused_run)
    assert (await family.state()).plan_month == 3
    assert [(q.year, q.month) for q in services.requests("sessions_in_month")] == [
        (2090, 4),
        (2090, 5),
    ]
    holds = services.requests("hold_payments")
    assert [(h.hold, h.reason) for h in holds] == [
        (True, "proceso en pausa"),
        (False, "proceso reanudado"),
    ]
    assert [e.description for e in await family.timeline() if e.kind == "pausa"] == [
        "Proceso en pausa: Hospitalización del representante",
        "Proceso reanudado: Alta médica",
    ]


async def test_a_move_keeps_the_case_going_under_the_new_comuna(
    env: WorkflowEnvironment, services: StandInServices
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.agrees_on(date(2090, 3, 25))
    await family.on(date(2090, 4, 10))
    await family.send(
        FamilyMoved(
            family_id=family.family_id,
            from_comuna="Conchalí",
            to_comuna="Renca",
            moved_on=date(2090, 4, 10),
        )
    )
    state = await family.wait_for(lambda s: s.comuna == "Renca")
    assert (state.phase, state.plan_month) == ("acompanamiento", 1)  # nothing restarts
    [moved] = await family.wait_for_line("traslado")
    assert moved.description == "Traslado de Conchalí a Renca: el caso continúa"

    await family.on(date(2090, 5, 2))
    state = await family.wait_for(lambda s: s.plan_month == 2)
    assert state.comuna == "Renca"
    described = await family.handle.describe()
    assert described.typed_search_attributes.get(search.COMUNA) == "Renca"
    assert services.requests("close_family") == []


async def test_an_event_delivered_twice_is_folded_once(env: WorkflowEnvironment) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    first_run = await family.run_id()
    await family.deliver(family.referral)  # the bridge redelivers the referral: same event id
    await family.on(date(2090, 3, 8))
    attempt = family.envelope(contacted(family, 1, date(2090, 3, 8), located=False))
    await family.deliver(attempt)
    await family.deliver(attempt)
    await family.send(contacted(family, 2, date(2090, 3, 9), located=False))
    # Signals are applied in order: once attempt 2 is in, every redelivery was handled.
    attempts = await family.wait_for_line("contacto", count=2)
    assert [e.description for e in attempts] == [
        "Intento de contacto 1 (telefono): sin localizar",
        "Intento de contacto 2 (telefono): sin localizar",
    ]
    assert (await family.kinds()).count("derivacion") == 1
    assert await family.run_id() == first_run


async def test_facts_that_move_no_phase_are_recorded_in_the_timeline(
    env: WorkflowEnvironment,
) -> None:
    family = await Family.referred_on(env, date(2090, 3, 4))
    await family.agrees_on(date(2090, 3, 25))
    fid = family.family_id
    await family.on(date(2090, 4, 10))
    await family.send(
        FamilyAssigned(family_id=fid, staff_id=uuid.uuid4(), reason="Cambio de Apoyo Familiar")
    )
    await family.send(
        RepresentativeChanged(
            family_id=fid,
            member_id=uuid.uuid4(),
            reason="designado",
            effective_on=date(2090, 4, 10),
        )
    )
    await family.send(FamilyUpdated(family_id=fid, version=2, member_count=5))
    await family.send(
        SessionRecorded(
            family_id=fid,
            session_id=uuid.uuid4(),
            held_on=date(2090, 4, 9),
            kind="visita_domiciliaria",
            attendance="asistio",
            counts_toward_minimum=True,
        )
    )
    await family.send(
        TransferRejected(
            family_id=fid,
            period="2090-04",
            concept="bono_proteccion",
            amount=22_000,
            reason="cuenta_cerrada",
        ),
        actor="banco",
    )
    await family.send(
        TransferSettled(
            family_id=fid,
            period="2090-04",
            concept="bono_proteccion",
            amount=22_000,
            bank_reference="BE-000123",
        ),
        actor="banco",
    )
    await family.send(
        TransferExpired(family_id=fid, period="2090-03", concept="bono_proteccion", amount=22_000),
        actor="banco",
    )
    state = await family.wait_for(lambda s: s.payments.get("expired") == 1)
    assert state.payments == {"rejected": 1, "settled": 1, "expired": 1}
    assert state.phase == "acompanamiento"
    lines = [(e.kind, e.description) for e in await family.timeline()][-7:]
    assert lines == [
        ("asignacion", "Asignada a un Apoyo Familiar: Cambio de Apoyo Familiar"),
        ("representante", "Cambio de representante desde el 10-04-2090"),
        ("composicion", "Composición familiar actualizada (versión 2)"),
        ("sesion", "Sesión visita_domiciliaria del 09-04-2090: asistio"),
        (
            "pago",
            "Transferencia de 2090-04 rechazada por el banco: cuenta_cerrada; se reintenta "
            "en el próximo ciclo",
        ),
        ("pago", "Transferencia de 2090-04 pagada ($22.000)"),
        ("pago", "Pago presencial de 2090-03 vencido sin cobrar ($22.000)"),
    ]
