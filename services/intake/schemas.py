"""Intake's HTTP request and response bodies: English field names, Spanish descriptions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, computed_field, field_validator

from services.intake.relations import relation_code, relation_label
from shared.errors import ValidationFailed
from shared.rut import format_rut, normalize_rut


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: str = Field(min_length=3, max_length=14, examples=["12.345.678-5"])
    given_names: str = Field(min_length=1, max_length=120)
    paternal_surname: str = Field(min_length=1, max_length=80)
    maternal_surname: str | None = Field(None, max_length=80)
    sex: Literal["F", "M"] | None = None
    birth_date: date | None = None
    relation: str | None = Field(
        None, max_length=40, description="Parentesco con la jefatura de hogar (p. ej. «Hija»)"
    )
    household_head: bool = False

    @field_validator("run")
    @classmethod
    def _valid_run(cls, value: str) -> str:
        return normalize_rut(value)

    @field_validator("relation")
    @classmethod
    def _known_relation(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = relation_code(value)
        if code is None:
            raise ValidationFailed("Parentesco no reconocido")
        return code


class FamilyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family_code: str | None = Field(
        None, min_length=1, max_length=40, description="Identificador de la nómina (id_familia)"
    )
    comuna: str = Field(min_length=1, max_length=80)
    cohort_year: int = Field(ge=2000, le=2100, description="Año de la nómina")
    referred_on: date | None = None
    members: list[MemberIn] = Field(min_length=1, max_length=30)


class MemberOut(BaseModel):
    """A member as stored (`Member`): `run` normalised, `relation` the code."""

    model_config = ConfigDict(from_attributes=True)

    run: str
    given_names: str
    paternal_surname: str
    maternal_surname: str | None
    sex: str | None
    birth_date: date | None
    relation: str | None
    household_head: bool = Field(
        validation_alias=AliasChoices("household_head", "is_household_head")
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def run_formatted(self) -> str:
        return format_rut(self.run)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def relation_label(self) -> str | None:
        return relation_label(self.relation) if self.relation else None


class RepresentativeOut(BaseModel):
    """The payee: `run` normalised (`12345678K`), the rule's reason or the operator's."""

    run: str
    run_formatted: str
    name: str
    reason: str
    reason_label: str
    justification: str | None
    since: date | None


class FamilyOut(BaseModel):
    id: UUID
    family_code: str
    comuna: str
    cohort_year: int
    status: str
    version: int
    referred_on: date
    members: list[MemberOut]
    representative: RepresentativeOut | None
    apoyo_familiar_id: UUID | None


class RepresentativeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: str = Field(min_length=3, max_length=14, description="RUN de un integrante adulto")
    justification: str = Field(min_length=10, max_length=1000)

    @field_validator("run")
    @classmethod
    def _valid_run(cls, value: str) -> str:
        return normalize_rut(value)


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    staff_id: UUID
    reason: str = Field(min_length=5, max_length=500)


class FamilyVersionOut(BaseModel):
    """One state of the family: created by hand or by a nómina, or updated by a later one."""

    version: int
    change: str = Field(description="creada o actualizada")
    import_id: UUID | None = Field(description="La importación de nómina que la produjo")
    recorded_at: datetime
    recorded_by: str
    member_count: int


Channel = Literal["visita", "telefono", "otro"]
ContactResult = Literal["localizada", "no_localizada"]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attempted_on: date
    channel: Channel
    result: ContactResult
    notes: str | None = Field(None, max_length=2000)


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    attempted_on: date
    channel: str
    result: str
    notes: str | None
    recorded_by: str


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invited_on: date
    result: Literal["acepta", "rechaza"]
    reason: str | None = Field(None, max_length=500)


class CommitmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed_on: date
    document: str = Field(
        min_length=3, max_length=300, description="Referencia al documento escaneado"
    )
    signer_run: str | None = Field(None, min_length=3, max_length=14)

    @field_validator("signer_run")
    @classmethod
    def _valid_run(cls, value: str | None) -> str | None:
        return normalize_rut(value) if value else None


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_comuna: str = Field(min_length=1, max_length=80)
    moved_on: date


class ProcessOut(BaseModel):
    """The family's contact, invitation and commitment facts."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    comuna: str
    status: str
    located_on: date | None
    invited_on: date | None
    invitation_accepted: bool | None
    invitation_reason: str | None = Field(description="Motivo del rechazo, si rechazó")
    committed_on: date | None
    commitment_document: str | None
    exit_cause: str | None


Role = Literal["apoyo_familiar", "jefe_unidad", "administrativo", "supervisor_fosis"]


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: str = Field(min_length=3, max_length=14)
    name: str = Field(min_length=1, max_length=160)
    role: Role
    comuna: str = Field(min_length=1, max_length=80)
    reports_to_id: UUID | None = Field(None, description="A quién reporta (organigrama)")
    max_active_families: int | None = Field(None, ge=1, le=500)

    @field_validator("run")
    @classmethod
    def _valid_run(cls, value: str) -> str:
        return normalize_rut(value)


class StaffOut(BaseModel):
    id: UUID
    run_formatted: str
    name: str
    role: Role
    role_label: str
    comuna: str
    reports_to_id: UUID | None
    max_active_families: int
    active_families: int
    active: bool


ImportStatus = Literal["importada", "sin_cambios", "rechazada"]


class NominaError(BaseModel):
    """One problem of one row: `column` is the file's column name, `value` is masked."""

    line: int
    column: str
    value: str
    reason: str
    family_code: str | None = None


class ImportSummary(BaseModel):
    """What an import did, as stored with it (`NominaImport.summary`)."""

    filename: str
    comuna: str
    cohort_year: int
    rows: int
    families_imported: list[str]
    families_created: list[str]
    families_updated: list[str]
    families_unchanged: list[str]
    families_rejected: list[str]
    families_unassigned: list[str] = Field(default_factory=list)
    assignments: dict[str, int] = Field(
        default_factory=dict, description="Familias nuevas asignadas, por Apoyo Familiar"
    )
    errors: list[NominaError] = Field(description="Los primeros errores; el informe los trae todos")
    error_count: int
    warnings: list[str]


class NominaImportOut(ImportSummary):
    import_id: UUID
    status: ImportStatus
    message: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def error_report_url(self) -> str:
        return f"/v1/nominas/{self.import_id}/errors"


class NominaImportRecord(NominaImportOut):
    recorded_by: str
    recorded_at: datetime
