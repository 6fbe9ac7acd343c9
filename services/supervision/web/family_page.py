"""`/familias/{id}`: who the family is, where its process stands, its timeline, and the
operator actions the viewer's profile allows (through the workflow's validated updates)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.supervision.clients import Lifecycles, ServiceClient
from services.supervision.decisions import UPDATES, Action
from services.supervision.web.rendering import error_page, redirect_with_notice, render
from services.supervision.web.roles import (
    PROFILE_LABELS,
    Profile,
    actor,
    current_profile,
    may,
    shown_rut,
)
from services.supervision.web.settled import settled
from shared.contracts.lifecycle import EXIT_CAUSE_NAMES, LifecycleView, TimelineEntry
from shared.errors import DomainError, IllegalTransition, NotFound

router = APIRouter(include_in_schema=False)

PLAN_MONTHS: Final = 24

DONE: Final = {
    Action.DECIDE_ABANDONMENT: "Decisión sobre el abandono registrada",
    Action.CLOSE: "Egreso registrado",
    Action.PAUSE: "Proceso en pausa",
    Action.RESUME: "Proceso reanudado",
    Action.CORRECT_DATE: "Fecha corregida; los plazos se recalcularon",
}

FIELD_NAMES: Final = {
    "motivo": "El motivo",
    "confirmar": "La decisión",
    "causal": "La causal",
    "hecho": "El hito",
    "fecha": "La fecha",
}

# Intake's family status as staff say it.
FAMILY_STATUS: Final = {"active": "Activa", "closed": "Egresada"}

TIMELINE_KINDS: Final = {
    "derivacion": "Derivación",
    "asignacion": "Asignación",
    "contacto": "Contacto",
    "invitacion": "Invitación",
    "compromiso": "Carta de compromiso",
    "diagnostico": "Diagnóstico",
    "plan": "Plan de intervención",
    "sesion": "Sesión",
    "evaluacion": "Evaluación",
    "abandono": "Abandono",
    "decision": "Decisión",
    "egreso": "Egreso",
    "pago": "Transferencia",
    "mes": "Mes del plan",
    "fase": "Cambio de fase",
    "recordatorio": "Recordatorio",
    "escalamiento": "Escalamiento",
    "traslado": "Traslado",
    "representante": "Representante",
    "expediente": "Expediente",
    "pausa": "Pausa",
    "correccion": "Corrección de fecha",
    "composicion": "Composición familiar",
    "derecho": "Derecho a transferencia",
    "evento": "Evento",
    "ignorado": "Evento ignorado",
}


@router.get("/familias/{family_ref}")
async def family_page(family_ref: str, request: Request) -> Response:
    profile = current_profile(request)
    try:
        family_id = UUID(family_ref)
    except ValueError:
        return error_page(request, 404, "Familia no encontrada", "El identificador no es válido")
    services: dict[str, ServiceClient] = request.app.state.services
    lifecycles: Lifecycles = request.app.state.lifecycles
    family_result, report_result, sessions_result = await asyncio.gather(
        settled(services["intake"].get(f"/v1/families/{family_id}")),
        settled(lifecycles.report(family_id)),
        settled(services["plans"].get(f"/v1/families/{family_id}/sessions")),
    )
    if isinstance(family_result, NotFound):
        return error_page(request, 404, "Familia no encontrada", family_result.message)
    if isinstance(family_result, DomainError):
        return error_page(request, 503, "Servicio no disponible", family_result.message)
    family: dict[str, Any] = family_result
    process_note = None
    state: LifecycleView | None = None
    timeline: list[TimelineEntry] = []
    if isinstance(report_result, NotFound):
        process_note = "El proceso de esta familia aún no comienza"
    elif isinstance(report_result, DomainError):
        process_note = report_result.message
    else:
        state = report_result.state
        # Newest first; lines of the same instant keep their recorded order, reversed too.
        timeline = sorted(reversed(report_result.timeline), key=lambda e: e.at, reverse=True)
    sessions = None if isinstance(sessions_result, DomainError) else sessions_result
    professional = await _professional_name(services["intake"], family)
    closed = state is None or state.phase == "egresada"
    # `waiting_for` is empty only while paused or after the exit (workflows/family/state.view).
    paused = state is not None and not closed and state.waiting_for is None
    actions = [
        a
        for a in Action
        if may(profile, a)
        and not closed
        and (a is not Action.RESUME or paused)
        and (a is not Action.PAUSE or not paused)
    ]
    return render(
        request,
        "familia.html",
        {
            "familia": family,
            "integrantes": [_member(profile, m) for m in family["members"]],
            "representante": _representative(profile, family.get("representative")),
            "apoyo_familiar": professional,
            "estado": state,
            "nota_proceso": process_note,
            "pausada": paused,
            "meses_plan": PLAN_MONTHS,
            "linea_de_tiempo": timeline,
            "tipos": TIMELINE_KINDS,
            "causales": EXIT_CAUSE_NAMES,
            "estados_ingreso": FAMILY_STATUS,
            "sesiones": sessions,
            "acciones": actions,
            "abandono_pendiente": state is not None
            and any("abandono" in t for t in state.pending_tasks),
        },
    )


@router.post("/familias/{family_id}/{accion}")
async def family_action(
    family_id: UUID, accion: Annotated[Action, Path()], request: Request
) -> Response:
    """Checked here, not only by hiding the button: a profile without the right gets 403."""
    profile = current_profile(request)
    page = f"/familias/{family_id}"
    if not may(profile, accion):
        return error_page(
            request,
            403,
            "Acción no permitida para su perfil",
            f"El perfil {PROFILE_LABELS[profile]} no puede realizar esta acción. "
            "Elija otro perfil en el encabezado si corresponde.",
        )
    form = await request.form()
    fields = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    model = UPDATES[accion].argument
    try:
        body = model.model_validate({**fields, "usuario": actor(request)})
    except ValidationError as exc:
        return redirect_with_notice(page, "error", _form_problem(exc))
    lifecycles: Lifecycles = request.app.state.lifecycles
    try:
        await lifecycles.update(family_id, accion, body)
    except IllegalTransition as exc:
        return redirect_with_notice(page, "error", f"No se pudo: {exc.message}")
    except DomainError as exc:
        return redirect_with_notice(page, "error", exc.message)
    return redirect_with_notice(page, "ok", DONE[accion])


async def _professional_name(intake: ServiceClient, family: dict[str, Any]) -> str | None:
    staff_id = family.get("apoyo_familiar_id")
    if not staff_id:
        return None
    try:
        staff = await intake.get("/v1/staff", comuna=family["comuna"])
    except DomainError:
        return "(no disponible)"
    return next((s["name"] for s in staff if s["id"] == staff_id), "(no encontrado)")


def _member(profile: Profile, member: dict[str, Any]) -> dict[str, Any]:
    return member | {"rut": shown_rut(profile, member["run"])}


def _representative(profile: Profile, rep: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if rep is None else rep | {"rut": shown_rut(profile, rep["run"])}


def _form_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = FIELD_NAMES.get(str(error["loc"][0]) if error["loc"] else "", "Un dato")
    kind = error["type"]
    if kind == "string_too_short":
        return f"{field} es demasiado corto (mínimo {error['ctx']['min_length']} caracteres)"
    if kind == "string_too_long":
        return f"{field} es demasiado largo"
    if kind == "missing":
        return f"{field} es obligatorio"
    return f"{field} no es válido"
