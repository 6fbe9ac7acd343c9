"""`familias familia …`: a family, its phase and its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

import typer
from rich.panel import Panel
from rich.table import Table

from cli.api import Api
from cli.output import SANTIAGO, ExitCode, console, errors, local_time, print_json
from shared.dates import parse_date
from shared.errors import ValidationFailed
from shared.rut import format_rut, normalize_rut
from shared.settings import load_settings

app = typer.Typer(help="Familias: ver, listar y actuar sobre su proceso.", no_args_is_help=True)


@app.command("ver")
def show(
    rut: str = typer.Argument(..., help="RUN de cualquier integrante, con o sin puntos"),
    as_json: bool = typer.Option(False, "--json", help="Salida JSON para scripts"),
) -> None:
    """Muestra la familia de una persona, la fase de su proceso y su línea de tiempo."""
    try:
        run = normalize_rut(rut)
    except ValidationFailed as exc:
        errors.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(ExitCode.USAGE) from exc
    api = Api(load_settings())
    families: list[dict[str, Any]] = api.get("intake", "/v1/families", run=run)
    if not families:
        errors.print(f"No hay familias con el RUN {format_rut(run)}.")
        raise typer.Exit(ExitCode.NOT_FOUND)
    reports = [_with_lifecycle(api, family) for family in families]
    if as_json:
        print_json(reports if len(reports) > 1 else reports[0])
        return
    for report in reports:
        _print_family(report)


def _with_lifecycle(api: Api, family: dict[str, Any]) -> dict[str, Any]:
    url = f"{api.settings.service_url('supervision')}/v1/families/{family['id']}/lifecycle"
    response = api.http.get(url)
    lifecycle = response.json() if response.status_code == 200 else None
    return {
        **family,
        "proceso": lifecycle["state"] if lifecycle else None,
        "linea_de_tiempo": lifecycle["timeline"] if lifecycle else [],
    }


def _print_family(report: dict[str, Any]) -> None:
    process = report["proceso"]
    phase = process["phase_label"] if process else "sin proceso en curso"
    lines = [
        f"Familia [bold]{report['family_code']}[/bold] — {report['comuna']}, "
        f"nómina {report['cohort_year']}",
        f"Fase: [bold]{phase}[/bold]",
    ]
    if process and process.get("waiting_for"):
        lines.append(f"Esperando: {process['waiting_for']}")
    console.print(Panel("\n".join(lines), title="Familia"))
    members = Table(title="Integrantes")
    for column in ("RUN", "Nombre", "Parentesco", "Jefe/a de hogar"):
        members.add_column(column)
    for member in report["members"]:
        members.add_row(
            member["run_formatted"],
            f"{member['given_names']} {member['paternal_surname']}",
            member.get("relation_label") or "—",
            "Sí" if member["household_head"] else "No",
        )
    console.print(members)
    timeline = Table(title="Línea de tiempo (más reciente primero)")
    for column in ("Fecha", "Tipo", "Detalle", "Actor"):
        timeline.add_column(column)
    for entry in report["linea_de_tiempo"]:
        timeline.add_row(
            local_time(entry["at"]), entry["kind"], entry["description"], entry["actor"]
        )
    console.print(timeline)


def _family_id(api: Api, rut: str) -> str:
    try:
        run = normalize_rut(rut)
    except ValidationFailed as exc:
        errors.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(ExitCode.USAGE) from exc
    families: list[dict[str, Any]] = api.get("intake", "/v1/families", run=run)
    active = [f for f in families if f["status"] == "active"] or families
    if not active:
        errors.print(f"No hay familias con el RUN {format_rut(run)}.")
        raise typer.Exit(ExitCode.NOT_FOUND)
    return str(active[0]["id"])


def _lifecycle_update(rut: str, action: str, body: dict[str, Any], as_json: bool) -> None:
    api = Api(load_settings())
    family_id = _family_id(api, rut)
    view = api.request(
        "supervision",
        "POST",
        f"/v1/families/{family_id}/lifecycle/{action}",
        json=body,
    )
    if as_json:
        print_json(view)
        return
    console.print(f"Hecho. Fase: [bold]{view['phase_label']}[/bold]")
    if view.get("exit_cause"):
        console.print(f"Egreso: {view['exit_cause']}")
    if view.get("waiting_for"):
        console.print(f"Esperando: {view['waiting_for']}")


JSON_OPTION = typer.Option(False, "--json", help="Salida JSON para scripts")
RUT_ARGUMENT = typer.Argument(..., help="RUN de cualquier integrante")
REASON_OPTION = typer.Option(..., "--motivo", help="Motivo (queda en la línea de tiempo)")


@app.command("decidir-abandono")
def decide_abandonment(
    rut: str = RUT_ARGUMENT,
    confirmar: bool = typer.Option(
        ..., "--confirmar/--reincorporar", help="Egreso por abandono, o reincorporar"
    ),
    motivo: str = REASON_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Decisión del Jefe/a de Unidad sobre el abandono, tras la visita documentada."""
    body = {"confirm": confirmar, "reason": motivo}
    _lifecycle_update(rut, "abandonment-decision", body, as_json)


@app.command("cerrar")
def close(
    rut: str = RUT_ARGUMENT,
    causal: str = typer.Option(..., "--causal", help="renuncia, fallecimiento o traslado"),
    motivo: str = REASON_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Cierra el proceso de la familia por renuncia, fallecimiento o traslado."""
    _lifecycle_update(rut, "close", {"exit_cause": causal, "reason": motivo}, as_json)


@app.command("pausar")
def pause(
    rut: str = RUT_ARGUMENT, motivo: str = REASON_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Pausa el proceso (por ejemplo, pagos suspendidos durante una revisión)."""
    _lifecycle_update(rut, "pause", {"reason": motivo}, as_json)


@app.command("reanudar")
def resume(
    rut: str = RUT_ARGUMENT, motivo: str = REASON_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Reanuda un proceso en pausa."""
    _lifecycle_update(rut, "resume", {"reason": motivo}, as_json)


@app.command("corregir-fecha")
def correct_date(
    rut: str = RUT_ARGUMENT,
    hecho: str = typer.Option(..., "--hecho", help="derivacion, compromiso, diagnostico o plan"),
    fecha: str = typer.Option(..., "--fecha", help="dd-mm-aaaa o aaaa-mm-dd"),
    motivo: str = REASON_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Corrige una fecha mal ingresada; los plazos de la familia se recalculan."""
    try:
        day = parse_date(fecha)
    except ValueError as exc:
        errors.print("[red]Fecha no válida: use dd-mm-aaaa o aaaa-mm-dd[/red]")
        raise typer.Exit(ExitCode.USAGE) from exc
    body = {"fact": hecho, "happened_on": day.isoformat(), "reason": motivo}
    _lifecycle_update(rut, "date-correction", body, as_json)


def _today_or(fecha: str | None) -> str:
    if fecha is None:
        return datetime.now(SANTIAGO).date().isoformat()
    try:
        return parse_date(fecha).isoformat()
    except ValueError as exc:
        errors.print("[red]Fecha no válida: use dd-mm-aaaa o aaaa-mm-dd[/red]")
        raise typer.Exit(ExitCode.USAGE) from exc


def _post_fact(rut: str, service: str, path: str, body: dict[str, Any], as_json: bool) -> Any:
    api = Api(load_settings())
    family_id = _family_id(api, rut)
    answer = api.request(
        service,
        "POST",
        f"/v1/families/{family_id}/{path}",
        json=body,
        headers={"Idempotency-Key": str(uuid4())},  # a retry of this same command is one fact
    )
    if as_json:
        print_json(answer)
    return answer


DATE_OPTION = typer.Option(None, "--fecha", help="dd-mm-aaaa; hoy si se omite")


@app.command("contacto")
def contact(
    rut: str = RUT_ARGUMENT,
    canal: str = typer.Option(..., "--canal", help="visita, telefono u otro"),
    resultado: str = typer.Option(..., "--resultado", help="localizada o no_localizada"),
    fecha: str | None = DATE_OPTION,
    observaciones: str | None = typer.Option(None, "--observaciones"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Registra un intento de contacto con la familia."""
    body = {"attempted_on": _today_or(fecha), "channel": canal, "result": resultado}
    if observaciones:
        body["notes"] = observaciones
    _post_fact(rut, "intake", "contacts", body, as_json)
    if not as_json:
        console.print(f"Contacto registrado: {resultado}.")


@app.command("invitacion")
def invitation(
    rut: str = RUT_ARGUMENT,
    acepta: bool = typer.Option(..., "--acepta/--rechaza", help="Resultado de la invitación"),
    motivo: str | None = typer.Option(None, "--motivo", help="Obligatorio si rechaza"),
    fecha: str | None = DATE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Registra si la familia acepta o rechaza la invitación al programa."""
    body: dict[str, Any] = {
        "invited_on": _today_or(fecha),
        "result": "acepta" if acepta else "rechaza",
    }
    if motivo:
        body["reason"] = motivo
    _post_fact(rut, "intake", "invitation", body, as_json)
    if not as_json:
        console.print("Invitación registrada.")


@app.command("compromiso")
def commitment(
    rut: str = RUT_ARGUMENT,
    documento: str = typer.Option(..., "--documento", help="Referencia al documento escaneado"),
    fecha: str | None = DATE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Registra la carta de compromiso firmada por la representante."""
    body = {"signed_on": _today_or(fecha), "document": documento}
    _post_fact(rut, "intake", "commitment", body, as_json)
    if not as_json:
        console.print("Carta de compromiso registrada.")


@app.command("sesion")
def session(
    rut: str = RUT_ARGUMENT,
    tipo: str = typer.Option(
        ...,
        "--tipo",
        help="aps_individual, aps_grupal, asl, visita_domiciliaria, entrevista, "
        "taller o seguimiento_remoto",
    ),
    asistencia: str = typer.Option(
        "asistio", "--asistencia", help="asistio, no_asistio, no_ubicada"
    ),
    dimension: list[str] = typer.Option([], "--dimension", help="Dimensión trabajada (repetible)"),
    notas: str | None = typer.Option(None, "--notas"),
    fecha: str | None = DATE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Registra una sesión con la familia (en menos de un minuto)."""
    body: dict[str, Any] = {
        "held_on": _today_or(fecha),
        "kind": tipo,
        "attendance": asistencia,
        "dimensions": dimension,
    }
    if notas:
        body["notes"] = notas
    answer = _post_fact(rut, "plans", "sessions", body, as_json)
    if not as_json:
        console.print(f"Sesión registrada: {answer['kind_label']} del {answer['held_on']}.")
        if answer.get("warning"):
            console.print(f"[yellow]Advertencia:[/yellow] {answer['warning']}")


def _levels(pairs: list[str]) -> list[dict[str, Any]]:
    items = []
    for pair in pairs:
        code, _, level = pair.partition("=")
        if not level.strip().isdigit():
            errors.print(
                f"[red]Indicador mal escrito: «{pair}». Use codigo=nivel, p. ej. empleo=2[/red]"
            )
            raise typer.Exit(ExitCode.USAGE)
        items.append({"indicator": code.strip(), "level": int(level)})
    return items


@app.command("diagnostico")
def diagnosis(
    rut: str = RUT_ARGUMENT,
    indicador: list[str] = typer.Option(
        [], "--indicador", help="codigo=nivel (repetible); ver GET /v1/catalog en planes"
    ),
    completar: bool = typer.Option(False, "--completar", help="Completar el diagnóstico"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Registra niveles de indicadores del diagnóstico y, con --completar, lo completa."""
    api = Api(load_settings())
    family_id = _family_id(api, rut)
    base = f"/v1/families/{family_id}/diagnosis"
    answer = api.request("plans", "POST", base)
    if indicador:
        answer = api.request("plans", "PATCH", base, json={"items": _levels(indicador)})
    if completar:
        answer = api.request("plans", "POST", f"{base}/complete")
    if as_json:
        print_json(answer)
    else:
        console.print(f"Diagnóstico: {answer['status']} ({len(answer['items'])} indicadores)")


@app.command("plan")
def plan(
    rut: str = RUT_ARGUMENT,
    meta: list[str] = typer.Option([], "--meta", help="dimension:descripción (repetible)"),
    asl: int = typer.Option(0, "--asl", min=0, max=2, help="Adultos con acompañamiento ASL"),
    firmar: bool = typer.Option(False, "--firmar", help="Firmar el plan (hoy o --fecha)"),
    fecha: str | None = DATE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Guarda el borrador del plan de intervención y, con --firmar, lo firma."""
    api = Api(load_settings())
    family_id = _family_id(api, rut)
    goals = []
    for item in meta:
        dimension, _, text = item.partition(":")
        goals.append({"dimension": dimension.strip(), "description": text.strip()})
    answer = None
    if goals:
        body = {"asl_adults": asl, "goals": goals}
        answer = api.request("plans", "PUT", f"/v1/families/{family_id}/plan", json=body)
    if firmar:
        answer = api.request(
            "plans",
            "POST",
            f"/v1/families/{family_id}/plan/sign",
            json={"signed_on": _today_or(fecha)},
        )
    if answer is None:
        errors.print("[red]Indique metas (--meta) o --firmar[/red]")
        raise typer.Exit(ExitCode.USAGE)
    if as_json:
        print_json(answer)
    else:
        console.print(
            f"Plan versión {answer['revision']}: {answer['status']}, {len(answer['goals'])} metas"
        )


@app.command("evaluacion")
def evaluation(
    rut: str = RUT_ARGUMENT,
    indicador: list[str] = typer.Option([], "--indicador", help="codigo=nivel, todos (repetible)"),
    meta_lograda: list[str] = typer.Option([], "--meta-lograda", help="id de una meta lograda"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Registra la evaluación final y muestra la comparación antes y después."""
    answer = _post_fact(
        rut,
        "plans",
        "evaluation",
        {"items": _levels(indicador), "goals_achieved": meta_lograda},
        as_json,
    )
    if not as_json:
        table = Table(title="Evaluación final: antes y después")
        for column in ("Indicador", "Antes", "Después", "Cambio"):
            table.add_column(column)
        for row in answer:
            table.add_row(row["name"], str(row["before"]), str(row["after"]), str(row["change"]))
        console.print(table)


@app.command("abandono")
def abandonment_record(
    rut: str = RUT_ARGUMENT,
    tipo: str = typer.Option(
        ..., "--tipo", help="aviso, visita, informe o recomendacion (en ese orden)"
    ),
    contenido: str = typer.Option(..., "--contenido", help="Qué se hizo o se constató"),
    recomendacion: str | None = typer.Option(
        None, "--recomendacion", help="egreso o reincorporacion (con --tipo recomendacion)"
    ),
    fecha: str | None = DATE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Registra un documento del procedimiento de abandono (la visita domiciliaria, p. ej.)."""
    body: dict[str, Any] = {"kind": tipo, "dated": _today_or(fecha), "content": contenido}
    if recomendacion:
        body["recommendation"] = recomendacion
    answer = _post_fact(rut, "plans", "abandonment-records", body, as_json)
    if not as_json:
        console.print(f"Documento de abandono registrado: {answer['kind']} del {answer['dated']}.")


@app.command("listar")
def list_families(
    fase: str | None = typer.Option(None, "--fase", help="p. ej. diagnostico, acompanamiento"),
    comuna: str | None = typer.Option(None, "--comuna"),
    vencidas: bool = typer.Option(False, "--vencidas", help="Solo con el plazo vencido"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Lista las familias en curso, filtradas por fase, comuna y plazos vencidos."""
    api = Api(load_settings())
    params: dict[str, Any] = {"overdue": str(vencidas).lower()}
    if fase:
        params["phase"] = fase
    if comuna:
        params["comuna"] = comuna
    found: list[dict[str, Any]] = api.get("supervision", "/v1/families", **params)
    if as_json:
        print_json(found)
        return
    table = Table(title=f"Familias en curso ({len(found)})")
    for column in ("Familia", "Fase", "Comuna", "Mes del plan", "Próximo plazo"):
        table.add_column(column)
    for family in found:
        table.add_row(
            family["family_id"],
            family["phase"] or "—",
            family["comuna"] or "—",
            str(family["plan_month"] or "—"),
            local_time(family["next_deadline"]),
        )
    console.print(table)
