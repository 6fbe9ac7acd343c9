"""Events and commands owned by the intake service. No personal data travels on the bus."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from shared.contracts import subjects
from shared.contracts.envelope import CommandRequest, Contract, EventData


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


class FamilyContacted(EventData):
    """An attempt to locate the family (visit, call…) and its result."""

    subject: ClassVar[str] = subjects.FAMILY_CONTACTED

    family_id: UUID
    attempt_number: int = Field(ge=1)
    attempted_on: date
    channel: Literal["visita", "telefono", "otro"]
    located: bool


class FamilyInvited(EventData):
    """The programme was explained; the family accepted or declined (*rechaza*)."""

    subject: ClassVar[str] = subjects.FAMILY_INVITED

    family_id: UUID
    invited_on: date
    accepted: bool
    reason: str | None = Field(None, max_length=500)


class FamilyCommitted(EventData):
    """The representative signed the *carta de compromiso*."""

    subject: ClassVar[str] = subjects.FAMILY_COMMITTED

    family_id: UUID
    signed_on: date
    representative_member_id: UUID
    document_ref: str = Field(max_length=300)


class FamilyMoved(EventData):
    """*Traslado*: the family moved to another comuna; the case moves with it."""

    subject: ClassVar[str] = subjects.FAMILY_MOVED

    family_id: UUID
    from_comuna: str
    to_comuna: str
    moved_on: date


ExitCause = Literal[
    "cumplimiento", "abandono", "renuncia", "fallecimiento", "traslado", "no_localizada", "rechaza"
]


class GetRepresentative(Contract):
    """Query (from payments): who receives the family's transfers, to pay them.

    The answer names a person (RUN and name), so it travels only as this request's reply —
    never in an event, a stream or a log line.
    """

    subject: ClassVar[str] = subjects.INTAKE_FAMILY_REPRESENTATIVE

    family_id: UUID


class RepresentativeDetails(Contract):
    member_id: UUID
    run: str = Field(description="RUN normalizado, sin puntos ni guion: 12345678K")
    name: str = Field(description="Nombres y apellido paterno")


class FamilyRepresentative(Contract):
    """The answer to `GetRepresentative`; an unknown family is refused as not found."""

    family_id: UUID
    representative: RepresentativeDetails | None = Field(
        description="None mientras la familia no tiene representante"
    )


class CloseFamily(CommandRequest):
    """Command: the workflow closed the family's process (*egreso*) for this cause."""

    subject: ClassVar[str] = subjects.INTAKE_FAMILY_CLOSE

    family_id: UUID
    exit_cause: ExitCause
    exited_on: date


class FamilyClosed(Contract):
    family_id: UUID
    exit_cause: ExitCause
    exited_on: date
