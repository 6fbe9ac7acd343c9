"""Commands and events owned by the payments service."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from shared.contracts import subjects
from shared.contracts.envelope import CommandRequest, Contract


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
