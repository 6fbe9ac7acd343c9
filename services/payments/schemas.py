"""Payments' HTTP request and response bodies: English field names, Spanish descriptions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from shared.contracts.payments import PERIOD_PATTERN

Channel = Literal["transferencia", "presencial"]
AccountKind = Literal["cuenta_rut", "cuenta_vista", "cuenta_corriente", "cuenta_ahorro"]
LineStatus = Literal[
    "sent", "accepted", "settled", "rejected", "available", "claimed", "expired", "disputed"
]
IssueKind = Literal[
    "cargo_tras_rechazo", "rechazo_tras_cargo", "segundo_cargo", "archivo_rechazado"
]
Resolution = Literal["pagada", "no_pagada", "revisado"]
# A month paid (the first day of a calendar month), written AAAA-MM.
Month = Annotated[
    date,
    PlainSerializer(lambda day: f"{day:%Y-%m}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": PERIOD_PATTERN, "examples": ["2025-03"]}),
]


class IncomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    income_per_capita: int = Field(ge=0, le=10_000_000, description="CLP por persona al mes")
    member_count: int = Field(ge=1, le=30, description="Integrantes de la familia")
    source: str = Field(
        min_length=3, max_length=200, description="p. ej. Registro Social de Hogares"
    )
    recorded_on: date = Field(description="Fecha del dato (p. ej. de la cartola del RSH)")
    eligible: bool = Field(True, description="Cumple las condiciones este mes (revisión del 15)")


class IncomeOut(BaseModel):
    income_per_capita: int
    member_count: int
    source: str
    recorded_on: date
    eligible: bool


class PayeeChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    bank_code: str | None = Field(None, pattern=r"^\d{3}$", description="Código del banco (012)")
    account_kind: AccountKind | None = None
    account_number: str | None = Field(None, pattern=r"^\d{4,20}$")
    reason: str = Field(min_length=5, max_length=500)


class PayeeOut(BaseModel):
    run: str = Field(description="RUN enmascarado")
    channel: str
    bank_code: str
    account_kind: str
    account: str = Field(description="Número de cuenta: solo sus últimos 4 dígitos")
    rejects_in_row: int = Field(description="Rechazos seguidos del banco")
    held: bool = Field(description="Los pagos de la familia están retenidos")
    hold_reason: str | None


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hold: bool = Field(description="true retiene los pagos; false los libera")
    reason: str = Field(min_length=5, max_length=300)


class MonthOut(BaseModel):
    """One month's amount of one concept, and the tariff (or file) it comes from."""

    model_config = ConfigDict(from_attributes=True)

    period: Month = Field(description="Mes pagado")
    plan_month: int = Field(description="Mes del plan (0: bono fuera del calendario del plan)")
    tranche: int
    concept: str
    amount: int = Field(description="CLP")
    # An entitlement keeps the source of the tariff it was computed with as tariff_source.
    source: str = Field(validation_alias=AliasChoices("source", "tariff_source"))


class CalendarOut(BaseModel):
    start: str = Field(description="Mes del primer pago, AAAA-MM")
    months: list[MonthOut]
    total: int
    notes: list[str]


class TransferOut(BaseModel):
    family_id: UUID
    period: Month
    concept: str
    amount: int
    reason: str | None = Field(description="Motivo del rechazo, si lo hubo")
    reference: str = Field(description="Referencia de la transferencia (EndToEndId)")
    channel: str


class AccountBalanceOut(BaseModel):
    account: str
    name: str
    balance: int = Field(description="Saldo natural: deudor para el gasto, acreedor para las demás")


class StatusCountOut(BaseModel):
    status: str
    status_label: str
    count: int


class CuadraturaOut(BaseModel):
    period: str
    balanced: bool = Field(description="Todos los controles cuadran")
    owed: int = Field(description="Devengado")
    paid: int = Field(description="Pagado")
    pending: int = Field(description="Pendiente")
    expired: int = Field(description="Caducado")
    orders: list[StatusCountOut] = Field(description="Órdenes del mes por estado")
    accounts: list[AccountBalanceOut]
    problems: list[str]


class AttemptOut(BaseModel):
    reference: str
    channel: str
    account: str = Field(description="Tipo de cuenta y sus últimos 4 dígitos")
    status: str
    status_label: str
    reason: str | None
    bank_reference: str | None
    settled_on: date | None


class OrderOut(BaseModel):
    period: Month
    concept: str
    amount: int
    status: str
    status_label: str
    attempts: list[AttemptOut]


class ClaimOut(BaseModel):
    reference: str
    status: str
    status_label: str
    amount: int


class TariffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    concept: str
    tranche: int
    effective_from: date
    published_at: date
    amount: int
    source: str


class ReliquidationTotalOut(BaseModel):
    months: int
    amount: int = Field(description="Diferencias a favor de las familias (CLP)")


class TariffUploadOut(BaseModel):
    added: int = Field(description="Filas nuevas cargadas")
    reliquidation: ReliquidationTotalOut


class GapOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    family_id: UUID
    period: Month
    plan_month: int
    recorded: int = Field(description="Monto registrado")
    granted: int = Field(description="Diferencia ya reliquidada")
    in_force: int = Field(description="Monto de la tarifa vigente hoy")
    gap: int = Field(description="Diferencia: positiva a favor de la familia")
    source: str


class ReliquidationsOut(BaseModel):
    policy_pays: bool = Field(description="La política vigente paga las reliquidaciones")
    months: int
    families: int
    amount_owed: int = Field(description="Suma de las diferencias a favor de las familias")
    amount_overpaid: int = Field(description="Suma de las diferencias en contra (no se cobran)")
    gaps: list[GapOut]


class ReliquidationsApplied(BaseModel):
    granted: int = Field(description="Diferencias registradas para el próximo ciclo")
    for_review: int = Field(description="Meses con una reliquidación anterior, por revisar")


class BonusImportOut(BaseModel):
    registered: int
    already_registered: int


class PaymentIssueOut(BaseModel):
    """Something about money the bank contradicted, for the payments officer."""

    id: UUID
    kind: IssueKind
    kind_label: str
    period: Month = Field(description="Mes de la orden (o del ciclo, si es un archivo)")
    family_id: UUID | None
    reference: str | None = Field(description="Referencia de la transferencia (EndToEndId)")
    bank_reference: str | None = Field(description="Referencia del cargo en el banco")
    amount: int | None
    detail: str
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: Resolution | None
    notes: str | None


class IssueResolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Resolution = Field(
        description="pagada: el cargo vale; no_pagada: el banco devolvió el cargo (la orden "
        "vuelve a pendiente y se paga en el próximo ciclo); revisado: nada más que hacer"
    )
    notes: str | None = Field(None, max_length=500, description="Qué se confirmó con el banco")
