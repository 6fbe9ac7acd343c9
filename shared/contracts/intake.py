"""Events and commands owned by the intake service. No personal data travels on the bus."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.contracts import subjects
from shared.contracts.envelope import EventData


class FamilyReferred(EventData):
    """A family of the Ministry's nómina is registered in the comuna (derivación)."""

    subject: ClassVar[str] = subjects.FAMILY_REFERRED

    family_id: UUID
    family_code: str = Field(description="id_familia of the nómina")
    comuna: str
    cohort_year: int = Field(ge=2000, le=2100)
    referred_on: date
    member_count: int = Field(ge=1)
