"""Payments' HTTP request and response bodies: English field names, Spanish descriptions."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["transferencia", "presencial"]
AccountKind = Literal["cuenta_rut", "cuenta_vista", "cuenta_corriente", "cuenta_ahorro"]
LineStatus = Literal["sent", "accepted", "settled", "rejected", "available", "claimed", "expired"]
PERIOD = r"^\d{4}-\d{2}$"


class IncomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    income_per_capita: int = Field(
        ge=0, le=10_000_000, validation_alias="ingreso_per_capita",
        description="CLP por persona al mes",
    )  # fmt: skip
    member_count: int = Field(ge=1, le=30, validation_alias="integrantes")
    source: str = Field(
        min_length=3, max_length=200, validation_alias="fuente",
        description="p. ej. Registro Social de Hogares",
    )  # fmt: skip
    recorded_on: date = Field(validation_alias="fecha")
    eligible: bool = Field(
        True, validation_alias="elegible",
        description="Cumple las condiciones este mes (revisión del 15)",
    )  # fmt: skip


class IncomeOut(BaseModel):
    income_per_capita: int = Field(serialization_alias="ingreso_per_capita")
    member_count: int = Field(serialization_alias="integrantes")
    source: str = Field(serialization_alias="fuente")
    recorded_on: date = Field(serialization_alias="fecha")
    eligible: bool = Field(serialization_alias="elegible")


class PayeeChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    channel: Channel = Field(validation_alias="canal")
    bank_code: str | None = Field(
        None, pattern=r"^\d{3}$", validation_alias="banco", description="Código del banco (012)"
    )
    account_kind: AccountKind | None = Field(None, validation_alias="tipo_cuenta")
    account_number: str | None = Field(
        None, pattern=r"^\d{4,20}$", validation_alias="numero_cuenta"
    )
    reason: str = Field(min_length=5, max_length=500, validation_alias="motivo")


class PayeeOut(BaseModel):
    run: str = Field(description="RUN enmascarado")
    channel: str = Field(serialization_alias="canal")
    bank_code: str = Field(serialization_alias="banco")
    account_kind: str = Field(serialization_alias="tipo_cuenta")
    account: str = Field(serialization_alias="cuenta", description="Solo sus últimos 4 dígitos")
    rejects_in_row: int = Field(serialization_alias="rechazos_seguidos")
    held: bool = Field(serialization_alias="retenida")
    hold_reason: str | None = Field(serialization_alias="motivo_retencion")


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    hold: bool = Field(validation_alias="retener")
    reason: str = Field(min_length=5, max_length=300, validation_alias="motivo")


class HoldOut(BaseModel):
    held: bool = Field(serialization_alias="retenida")
    orders_changed: int = Field(serialization_alias="ordenes_cambiadas")


class EntitlementOut(BaseModel):
    """What the family is owed for one month and concept, and the tariff it comes from."""

    period: str = Field(serialization_alias="mes", description="Mes pagado, AAAA-MM")
    plan_month: int = Field(serialization_alias="mes_plan")
    concept: str = Field(serialization_alias="concepto")
    amount: int = Field(serialization_alias="monto", description="CLP")
    source: str = Field(serialization_alias="fuente")


class CalendarMonthOut(BaseModel):
    period: str = Field(serialization_alias="mes", description="Mes pagado, AAAA-MM")
    plan_month: int = Field(serialization_alias="mes_plan")
    tranche: int = Field(serialization_alias="tramo")
    concept: str = Field(serialization_alias="concepto")
    amount: int = Field(serialization_alias="monto", description="CLP")
    source: str = Field(serialization_alias="fuente")


class CalendarOut(BaseModel):
    start: str = Field(serialization_alias="inicio")
    months: list[CalendarMonthOut] = Field(serialization_alias="meses")
    total: int
    notes: list[str] = Field(serialization_alias="notas")


class TransferOut(BaseModel):
    family_id: UUID = Field(serialization_alias="familia_id")
    period: str = Field(serialization_alias="mes")
    concept: str = Field(serialization_alias="concepto")
    amount: int = Field(serialization_alias="monto")
    reason: str | None = Field(serialization_alias="motivo")
    reference: str = Field(serialization_alias="referencia")
    channel: str = Field(serialization_alias="canal")


class AccountBalanceOut(BaseModel):
    account: str = Field(serialization_alias="cuenta")
    name: str = Field(serialization_alias="nombre")
    balance: int = Field(
        serialization_alias="saldo",
        description="Saldo natural: deudor para el gasto, acreedor para las demás",
    )


class CuadraturaOut(BaseModel):
    period: str = Field(serialization_alias="mes")
    balanced: bool = Field(serialization_alias="cuadra")
    owed: int = Field(serialization_alias="devengado")
    paid: int = Field(serialization_alias="pagado")
    pending: int = Field(serialization_alias="pendiente")
    expired: int = Field(serialization_alias="caducado")
    orders: dict[str, int] = Field(serialization_alias="ordenes")
    accounts: list[AccountBalanceOut] = Field(serialization_alias="cuentas")
    problems: list[str] = Field(serialization_alias="problemas")


class AttemptOut(BaseModel):
    reference: str = Field(serialization_alias="referencia")
    channel: str = Field(serialization_alias="canal")
    account: str = Field(serialization_alias="cuenta")
    status: str = Field(serialization_alias="estado")
    reason: str | None = Field(serialization_alias="motivo")
    bank_reference: str | None = Field(serialization_alias="referencia_banco")
    settled_on: date | None = Field(serialization_alias="pagado_el")


class OrderOut(BaseModel):
    period: str = Field(serialization_alias="mes")
    concept: str = Field(serialization_alias="concepto")
    amount: int = Field(serialization_alias="monto")
    status: str = Field(serialization_alias="estado")
    attempts: list[AttemptOut] = Field(serialization_alias="intentos")


class ClaimOut(BaseModel):
    reference: str = Field(serialization_alias="referencia")
    status: str = Field(serialization_alias="estado")
    amount: int = Field(serialization_alias="monto")


class TariffOut(BaseModel):
    concept: str = Field(serialization_alias="concepto")
    tranche: int = Field(serialization_alias="tramo")
    effective_from: date = Field(serialization_alias="vigente_desde")
    published_at: date = Field(serialization_alias="publicado")
    amount: int = Field(serialization_alias="monto")
    source: str = Field(serialization_alias="fuente")


class ReliquidationTotalOut(BaseModel):
    months: int = Field(serialization_alias="meses")
    amount: int = Field(serialization_alias="monto")


class TariffUploadOut(BaseModel):
    added: int = Field(serialization_alias="agregadas")
    reliquidation: ReliquidationTotalOut = Field(serialization_alias="reliquidacion")


class GapOut(BaseModel):
    family_id: UUID = Field(serialization_alias="familia_id")
    period: str = Field(serialization_alias="mes")
    plan_month: int = Field(serialization_alias="mes_plan")
    recorded: int = Field(serialization_alias="registrado")
    granted: int = Field(serialization_alias="ya_reliquidado")
    in_force: int = Field(serialization_alias="vigente")
    gap: int = Field(serialization_alias="diferencia")
    source: str = Field(serialization_alias="fuente")


class ReliquidationsOut(BaseModel):
    policy_pays: bool = Field(serialization_alias="se_paga")
    months: int = Field(serialization_alias="meses")
    families: int = Field(serialization_alias="familias")
    amount_owed: int = Field(serialization_alias="monto_a_favor")
    amount_overpaid: int = Field(serialization_alias="monto_en_contra")
    gaps: list[GapOut] = Field(serialization_alias="detalle")


class ReliquidationsApplied(BaseModel):
    granted: int = Field(serialization_alias="registradas")
    for_review: int = Field(serialization_alias="por_revisar")


class BonusImportOut(BaseModel):
    registered: int = Field(serialization_alias="registrados")
    already_registered: int = Field(serialization_alias="ya_registrados")
