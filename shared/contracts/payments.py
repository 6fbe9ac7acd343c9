"""Commands and events owned by the payments service."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from shared.contracts import subjects
from shared.contracts.envelope import CommandRequest, Contract, EventData


class RegisterEntitlement(CommandRequest):
    """From the family workflow at the start of each plan month.

    Idempotency key `{family_id}:{YYYY-MM}:{concept}`: a retried activity gets the first
    answer; the same key with another request is refused, never applied.
    """

    subject: ClassVar[str] = subjects.ENTITLEMENT_REGISTER

    family_id: UUID
    period: date = Field(description="First day of the calendar month paid")
    plan_month: int = Field(ge=1, le=36)
    concept: Literal["bono_proteccion"] = "bono_proteccion"


class EntitlementRegistered(Contract):
    family_id: UUID
    period: date
    plan_month: int
    concept: str
    amount: int = Field(ge=0, description="CLP")
    tariff_source: str


class TransferSettled(EventData):
    """The bank paid the family's transfer for a period and concept."""

    subject: ClassVar[str] = subjects.TRANSFER_SETTLED

    family_id: UUID
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    concept: str
    amount: int = Field(ge=0)
    bank_reference: str


class TransferRejected(EventData):
    """The bank rejected the transfer; it is retried next cycle or moved to another channel."""

    subject: ClassVar[str] = subjects.TRANSFER_REJECTED

    family_id: UUID
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    concept: str
    amount: int = Field(ge=0)
    reason: str = Field(description="cuenta_cerrada, rut_no_coincide, …")


class TransferExpired(EventData):
    """An in-person payment unclaimed for 6 months: expired, recorded as renounced."""

    subject: ClassVar[str] = subjects.TRANSFER_EXPIRED

    family_id: UUID
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    concept: str
    amount: int = Field(ge=0)
