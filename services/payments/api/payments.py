"""Payments' HTTP endpoints."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, text

from services.payments import cycle
from services.payments.bonuses import CONCEPTS as BONUS_CONCEPTS
from services.payments.bonuses import import_bonuses
from services.payments.bonuses import parse as parse_bonuses
from services.payments.ledger import ACCOUNT_NAMES, EXPENSE, balance_report
from services.payments.models import (
    BatchLine,
    Entitlement,
    FamilyIncome,
    Payee,
    PaymentHold,
    PaymentOrder,
)
from services.payments.payees import set_channel, set_hold
from services.payments.reliquidation import gaps, grant
from services.payments.tariff_store import add_tariffs, current_tariffs
from services.payments.tariffs import (
    BASE_THRESHOLD,
    base_familiar_amount,
    parse_tariffs,
    schedule,
)
from shared.contracts.payments import CycleProgress
from shared.dates import parse_date
from shared.db.audit import record_audit
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.http.deps import Actor, Runtime, Session
from shared.rut import mask_rut
from shared.tabular import decode_text

router = APIRouter(prefix="/v1", tags=["pagos"])


@router.get(
    "/calendar",
    summary="Los 24 meses que recibiría una familia (Protección y, con su ingreso, Base Familiar)",
)
async def calendar(
    db: Session,
    inicio: Annotated[
        str, Query(pattern=r"^\d{4}-\d{2}$", description="Mes del primer pago, AAAA-MM")
    ],
    ingreso_per_capita: Annotated[
        int | None, Query(ge=0, le=10_000_000, description="Ingreso per cápita mensual (CLP)")
    ] = None,
    integrantes: Annotated[int, Query(ge=1, le=30, description="Integrantes de la familia")] = 1,
) -> dict[str, Any]:
    try:
        first = parse_date(f"{inicio}-01")
    except ValueError as exc:
        raise ValidationFailed("Mes no válido: use AAAA-MM") from exc
    tariffs = await current_tariffs(db)
    months = schedule(tariffs, first)
    notes: list[str] = []
    if ingreso_per_capita is not None:
        base = [
            base_familiar_amount(
                tariffs, m.paid_month, m.plan_month, ingreso_per_capita, integrantes
            )
            for m in schedule(tariffs, first)
        ]
        if not any(t.concept == BASE_THRESHOLD for t in tariffs):
            notes.append(
                "No hay umbral del Bono Base Familiar cargado: el administrador lo carga como "
                "tarifa (concepto base_umbral, tramo 0) con su vigencia y fuente"
            )
        months = sorted(
            [*months, *(b for b in base if b is not None)],
            key=lambda m: (m.paid_month, m.concept != "bono_proteccion"),
        )
    return {
        "inicio": inicio,
        "meses": [
            {
                "mes": f"{m.paid_month:%Y-%m}",
                "mes_plan": m.plan_month,
                "tramo": m.tranche,
                "concepto": m.concept,
                "monto": m.amount,
                "fuente": m.row.source,
            }
            for m in months
        ],
        "total": sum(m.amount for m in months),
        "notas": notes,
    }


class IncomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ingreso_per_capita: int = Field(ge=0, le=10_000_000, description="CLP por persona al mes")
    integrantes: int = Field(ge=1, le=30)
    fuente: str = Field(
        min_length=3, max_length=200, description="p. ej. Registro Social de Hogares"
    )
    fecha: date
    elegible: bool = Field(True, description="Cumple las condiciones este mes (revisión del 15)")


@router.put(
    "/families/{family_id}/ingreso",
    summary="Registrar el ingreso per cápita de la familia (Bono Base Familiar)",
)
async def record_income(
    family_id: UUID, body: IncomeIn, db: Session, actor: Actor = "sistema"
) -> dict[str, Any]:
    income = await db.get(FamilyIncome, family_id, with_for_update=True)
    if income is None:
        income = FamilyIncome(family_id=family_id)
        db.add(income)
    income.per_capita = body.ingreso_per_capita
    income.members = body.integrantes
    income.source = body.fuente
    income.recorded_on = body.fecha
    income.eligible = body.elegible
    await record_audit(
        db, actor=actor, action="ingreso_registrado", entity="familia", entity_id=family_id,
        integrantes=body.integrantes, elegible=body.elegible, fuente=body.fuente,
    )  # fmt: skip
    return body.model_dump(mode="json")


@router.get("/families/{family_id}/entitlements", summary="Derechos registrados de una familia")
async def entitlements(family_id: UUID, db: Session) -> list[dict[str, Any]]:
    rows = await db.scalars(
        select(Entitlement).where(Entitlement.family_id == family_id).order_by(Entitlement.period)
    )
    return [
        {
            "mes": f"{e.period:%Y-%m}",
            "mes_plan": e.plan_month,
            "concepto": e.concept,
            "monto": e.amount,
            "fuente": e.tariff_source,
        }
        for e in rows
    ]


PeriodPath = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="Mes, AAAA-MM")]

ORDER_STATES = {
    "pending": "pendiente",
    "held": "retenida",
    "in_batch": "en el banco",
    "settled": "pagada",
    "expired": "caducada",
}
LINE_STATES = {
    "sent": "enviada",
    "accepted": "aceptada por el banco",
    "settled": "pagada",
    "rejected": "rechazada",
    "available": "disponible para cobro presencial",
    "claimed": "cobrada en caja",
    "expired": "caducada (renunciada)",
}


@router.get("/cycles/{period}", summary="Avance del ciclo de pagos del mes")
async def cycle_progress(period: PeriodPath, db: Session) -> CycleProgress:
    return await cycle.progress(db, cycle.parse_period(period))


@router.get(
    "/cycles/{period}/transfers",
    summary="Transferencias del ciclo en un estado (p. ej. rechazadas), para revisar por familia",
)
async def cycle_transfers(
    period: PeriodPath,
    db: Session,
    estado: Annotated[
        Literal["sent", "accepted", "settled", "rejected", "available", "claimed", "expired"],
        Query(description="Estado de la transferencia"),
    ] = "rejected",
    limite: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    rows = (
        await db.execute(
            text(
                "SELECT l.family_id, l.period, l.concept, l.amount, l.reason_text, "
                "l.end_to_end_id, l.channel FROM batch_lines l "
                "JOIN batches b ON b.id = l.batch_id "
                "WHERE b.cycle_period = :period AND l.status = :status "
                "ORDER BY l.reason_text NULLS LAST, l.family_id LIMIT :limit"
            ),
            {"period": cycle.parse_period(period), "status": estado, "limit": limite},
        )
    ).all()
    return [
        {
            "familia_id": r.family_id,
            "mes": f"{r.period:%Y-%m}",
            "concepto": r.concept,
            "monto": int(r.amount),
            "motivo": r.reason_text,
            "referencia": r.end_to_end_id,
            "canal": r.channel,
        }
        for r in rows
    ]


@router.get(
    "/cycles/{period}/cuadratura",
    summary="Cuadratura del mes: devengado, pagado, pendiente y caducado, con sus controles",
)
async def cuadratura(period: PeriodPath, db: Session) -> dict[str, Any]:
    report = await balance_report(db, cycle.parse_period(period))
    return {
        "mes": period,
        "cuadra": report.balanced,
        "devengado": report.owed,
        "pagado": report.paid,
        "pendiente": report.pending,
        "caducado": report.expired,
        "ordenes": {ORDER_STATES.get(k, k): v for k, v in report.orders.items()},
        "cuentas": [
            {
                "cuenta": account,
                "nombre": name,
                # Natural balance: debit for the expense, credit for the others.
                "saldo": report.accounts.get(account, 0) * (1 if account == EXPENSE else -1),
            }
            for account, name in ACCOUNT_NAMES.items()
        ],
        "problemas": report.problems,
    }


@router.get("/families/{family_id}/orders", summary="Órdenes de pago de una familia y sus intentos")
async def family_orders(family_id: UUID, db: Session) -> list[dict[str, Any]]:
    orders = list(
        await db.scalars(
            select(PaymentOrder)
            .where(PaymentOrder.family_id == family_id)
            .order_by(PaymentOrder.period, PaymentOrder.concept)
        )
    )
    lines = list(
        await db.scalars(
            select(BatchLine).where(BatchLine.family_id == family_id).order_by(BatchLine.created_at)
        )
    )
    return [
        {
            "mes": f"{o.period:%Y-%m}",
            "concepto": o.concept,
            "monto": o.amount,
            "estado": ORDER_STATES.get(o.state, o.state),
            "intentos": [
                {
                    "referencia": line.end_to_end_id,
                    "canal": line.channel,
                    "cuenta": f"{line.account_kind} ···{line.account_number[-4:]}",
                    "estado": LINE_STATES.get(line.status, line.status),
                    "motivo": line.reason_text,
                    "referencia_banco": line.bank_reference,
                    "pagado_el": line.settled_on,
                }
                for line in lines
                if line.order_id == o.id
            ],
        }
        for o in orders
    ]


class PayeeChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    canal: Literal["transferencia", "presencial"]
    banco: str | None = Field(None, pattern=r"^\d{3}$", description="Código del banco (012)")
    tipo_cuenta: (
        Literal["cuenta_rut", "cuenta_vista", "cuenta_corriente", "cuenta_ahorro"] | None
    ) = None
    numero_cuenta: str | None = Field(None, pattern=r"^\d{4,20}$")
    motivo: str = Field(min_length=5, max_length=500)


def _payee_out(payee: Payee, hold: PaymentHold | None) -> dict[str, Any]:
    return {
        "run": mask_rut(payee.run),
        "canal": payee.channel,
        "banco": payee.bank_code,
        "tipo_cuenta": payee.account_kind,
        "cuenta": f"···{payee.account_number[-4:]}",
        "rechazos_seguidos": payee.rejects_in_row,
        "retenida": hold is not None,
        "motivo_retencion": hold.reason if hold else None,
    }


@router.get("/families/{family_id}/payee", summary="A quién y cómo se paga a la familia")
async def payee(family_id: UUID, db: Session) -> dict[str, Any]:
    found = await db.get(Payee, family_id)
    if found is None:
        raise NotFound("La familia no tiene representante registrado en pagos todavía")
    return _payee_out(found, await db.get(PaymentHold, family_id))


@router.put(
    "/families/{family_id}/payee",
    summary="Cambiar el medio de pago (cuenta o pago presencial); rige desde el próximo ciclo",
)
async def change_payee(
    family_id: UUID, body: PayeeChannelIn, db: Session, actor: Actor = "sistema"
) -> dict[str, Any]:
    own_account = body.canal == "transferencia" and body.tipo_cuenta not in (None, "cuenta_rut")
    if own_account and (body.numero_cuenta is None or body.banco is None):
        raise ValidationFailed("Para una cuenta bancaria indique banco y número de cuenta")
    changed = await set_channel(
        db,
        family_id,
        channel=body.canal,
        bank_code=body.banco,
        account_kind=body.tipo_cuenta,
        account_number=body.numero_cuenta,
        actor=actor,
        reason=body.motivo,
    )
    return _payee_out(changed, await db.get(PaymentHold, family_id))


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retener: bool
    motivo: str = Field(min_length=5, max_length=300)


@router.post(
    "/families/{family_id}/retencion",
    summary="Retener o liberar los pagos de una familia (las órdenes se retienen, no se anulan)",
)
async def hold(
    family_id: UUID, body: HoldIn, db: Session, actor: Actor = "sistema"
) -> dict[str, Any]:
    changed = await set_hold(db, family_id, held=body.retener, reason=body.motivo, actor=actor)
    return {"retenida": body.retener, "ordenes_cambiadas": changed}


@router.post(
    "/pagos-presenciales/{reference}/cobro",
    summary="Registrar el cobro en caja de un pago presencial (según el informe de la caja)",
)
async def claim(reference: str, db: Session, actor: Actor = "sistema") -> dict[str, Any]:
    row = (
        await db.execute(
            text(
                "UPDATE batch_lines SET status = 'claimed', settled_on = current_date, "
                "updated_at = now() WHERE end_to_end_id = :r AND status = 'available' "
                "RETURNING id, order_id, family_id, period, concept, amount"
            ),
            {"r": reference},
        )
    ).first()
    if row is None:
        line = await db.scalar(select(BatchLine).where(BatchLine.end_to_end_id == reference))
        if line is None:
            raise NotFound("No existe un pago con esa referencia")
        raise Conflict(
            f"El pago no se puede cobrar: está {LINE_STATES.get(line.status, line.status)}"
        )
    await cycle.record_in_person_claim(db, row)
    await record_audit(
        db, actor=actor, action="pago_presencial_cobrado", entity="pago", entity_id=row.id
    )
    return {"referencia": reference, "estado": LINE_STATES["claimed"], "monto": int(row.amount)}


@router.get("/tariffs", summary="Tarifas vigentes e históricas, con su publicación y fuente")
async def tariffs(db: Session) -> list[dict[str, Any]]:
    return [
        {
            "concepto": r.concept,
            "tramo": r.tranche,
            "vigente_desde": r.effective_from,
            "publicado": r.published_at,
            "monto": r.amount,
            "fuente": r.source,
        }
        for r in await current_tariffs(db)
    ]


@router.post(
    "/tariffs",
    summary="Cargar tarifas nuevas (CSV como tarifas.csv); una tarifa publicada no se modifica",
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def upload_tariffs(request: Request, db: Session, actor: Actor = "sistema") -> dict[str, Any]:
    content = await _uploaded_text(request, 1_000_000, "tarifas")
    added = await add_tariffs(db, parse_tariffs(content, "archivo cargado"), actor)
    found = await gaps(db, await current_tariffs(db))
    return {
        "agregadas": len(added),
        "reliquidacion": {"meses": len(found), "monto": sum(g.gap for g in found if g.gap > 0)},
    }


@router.get(
    "/reliquidaciones",
    summary="Diferencias por tarifas publicadas tarde, para los meses ya registrados",
)
async def reliquidations(
    db: Session, runtime: Runtime, limite: Annotated[int, Query(ge=1, le=10_000)] = 1000
) -> dict[str, Any]:
    found = await gaps(db, await current_tariffs(db))
    settings = runtime.settings
    return {
        "se_paga": settings.payments_pay_reliquidation,
        "meses": len(found),
        "familias": len({g.family_id for g in found}),
        "monto_a_favor": sum(g.gap for g in found if g.gap > 0),
        "monto_en_contra": -sum(g.gap for g in found if g.gap < 0),
        "detalle": [
            {
                "familia_id": g.family_id,
                "mes": f"{g.period:%Y-%m}",
                "mes_plan": g.plan_month,
                "registrado": g.recorded,
                "ya_reliquidado": g.granted,
                "vigente": g.in_force,
                "diferencia": g.gap,
                "fuente": g.source,
            }
            for g in found[:limite]
        ],
    }


@router.post(
    "/reliquidaciones/aplicar",
    summary="Registrar las diferencias a favor para pagarlas en el próximo ciclo",
    responses={409: {"description": "La política vigente no paga reliquidaciones"}},
)
async def apply_reliquidations(
    db: Session, runtime: Runtime, actor: Actor = "sistema"
) -> dict[str, Any]:
    if not runtime.settings.payments_pay_reliquidation:
        raise Conflict(
            "La política vigente no paga reliquidaciones "
            "(FAMILIAS_PAYMENTS_PAY_RELIQUIDATION=false): las diferencias se muestran, no se pagan"
        )
    granted, review = await grant(db, await gaps(db, await current_tariffs(db)))
    await record_audit(
        db,
        actor=actor,
        action="reliquidacion_aplicada",
        entity="reliquidacion",
        entity_id="-",
        registradas=granted,
        por_revisar=review,
    )
    return {"registradas": granted, "por_revisar": review}


@router.post(
    "/bonos",
    summary="Importar bonos informados por el ministerio o acreditados en la municipalidad",
    description="CSV (`;` o `,`) con columnas run, mes (AAAA-MM), concepto, monto, fuente. "
    "Conceptos: " + ", ".join(BONUS_CONCEPTS) + ". Se aplica completo o nada; "
    "reimportar el mismo archivo no registra nada dos veces.",
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
    responses={422: {"description": "Filas con errores (ninguna se registró)"}},
)
async def import_bonuses_file(
    request: Request, db: Session, actor: Actor = "sistema"
) -> dict[str, Any]:
    content = await _uploaded_text(request, 20_000_000, "bonos")
    rows, problems = parse_bonuses(content)
    registered, skipped, problems = await import_bonuses(db, rows, actor, problems)
    if problems:
        raise ValidationFailed(
            f"El archivo tiene {len(problems)} filas con errores; no se registró ningún bono",
            errores=[
                {"fila": p.line, "columna": p.column, "motivo": p.reason} for p in problems[:1000]
            ],
            errores_total=len(problems),
        )
    return {"registrados": registered, "ya_registrados": skipped}


async def _uploaded_text(request: Request, limit: int, what: str) -> str:
    """A CSV sent as the request body, as Excel writes it, within a size limit."""
    raw = await request.body()
    if len(raw) > limit:
        raise ValidationFailed(
            f"El archivo de {what} es demasiado grande (máximo {limit // 1_000_000} MB)"
        )
    return decode_text(raw)
