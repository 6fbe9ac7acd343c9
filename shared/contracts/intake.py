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


class FamilyUpdated(EventData):
    """A corrected nómina changed the family's composition or data: a new version."""

    subject: ClassVar[str] = subjects.FAMILY_UPDATED

    family_id: UUID
    version: int = Field(ge=2)
    member_count: int = Field(ge=1)
    import_id: UUID | None = None


class FamilyAssigned(EventData):
    """The family has an Apoyo Familiar (first assignment or a reassignment with reason)."""

    subject: ClassVar[str] = subjects.FAMILY_ASSIGNED

    family_id: UUID
    staff_id: UUID
    previous_staff_id: UUID | None = None
    reason: str = Field(max_length=500)


class RepresentativeChanged(EventData):
    """Who receives the transfers changed, from a date. Carries ids, never the RUT."""

    subject: ClassVar[str] = subjects.FAMILY_REPRESENTATIVE_CHANGED

    family_id: UUID
    member_id: UUID
    reason: str = Field(description="Priority level of DOMAIN.md §3, or 'designado'")
    effective_on: date
