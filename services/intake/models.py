"""Intake's tables. Only this service reads or writes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db.base import TYPE_ANNOTATION_MAP, declare_shared_tables, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


declare_shared_tables(Base)


class Family(Base):
    __tablename__ = "families"
    __table_args__ = (UniqueConstraint("comuna", "cohort_year", "family_code"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_code: Mapped[str] = mapped_column(String(40))
    comuna: Mapped[str] = mapped_column(String(80))
    cohort_year: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="active")
    referred_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    last_import_id: Mapped[UUID | None] = mapped_column(ForeignKey("nomina_imports.id"))
    # The payee (DOMAIN.md §3): computed by the priority rule unless an operator chose.
    representative_run: Mapped[str | None] = mapped_column(String(10))
    representative_reason: Mapped[str | None] = mapped_column(String(40))
    representative_justification: Mapped[str | None] = mapped_column(Text)
    representative_since: Mapped[date | None]
    apoyo_familiar_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff.id"), index=True)
    # Contact, invitation, commitment (DOMAIN.md §2); the workflow decides the phases.
    located_on: Mapped[date | None]
    invited_on: Mapped[date | None]
    invitation_accepted: Mapped[bool | None]
    invitation_reason: Mapped[str | None] = mapped_column(Text)
    committed_on: Mapped[date | None]
    commitment_member_id: Mapped[UUID | None]
    commitment_document: Mapped[str | None] = mapped_column(String(300))
    exit_cause: Mapped[str | None] = mapped_column(String(20))
    exited_on: Mapped[date | None]

    members: Mapped[list[Member]] = relationship(
        back_populates="family", order_by="Member.position", lazy="selectin"
    )

    @property
    def representative(self) -> Member | None:
        """The member who receives the transfers, once the rule or an operator named one."""
        if self.representative_reason is None:
            return None
        return next((m for m in self.members if m.run == self.representative_run), None)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_id: Mapped[UUID] = mapped_column(ForeignKey("families.id"), index=True)
    position: Mapped[int]
    run: Mapped[str] = mapped_column(String(10), index=True)
    given_names: Mapped[str] = mapped_column(String(120))
    paternal_surname: Mapped[str] = mapped_column(String(80))
    maternal_surname: Mapped[str | None] = mapped_column(String(80))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None]
    relation: Mapped[str | None] = mapped_column(String(40))
    is_household_head: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str | None] = mapped_column(String(200))
    comuna: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(16))
    rsh_bracket: Mapped[int | None]
    per_capita_income: Mapped[int | None]

    family: Mapped[Family] = relationship(back_populates="members")

    @property
    def name(self) -> str:
        """How screens, the bank file and payments name the person."""
        return f"{self.given_names} {self.paternal_surname}"


class ContactAttempt(Base):
    """One attempt to locate a family: a home visit, a call, or another channel."""

    __tablename__ = "contact_attempts"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_id: Mapped[UUID] = mapped_column(ForeignKey("families.id"), index=True)
    attempted_on: Mapped[date]
    channel: Mapped[str] = mapped_column(String(10))  # visita, telefono, otro
    result: Mapped[str] = mapped_column(String(20))  # localizada, no_localizada
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FamilyVersion(Base):
    """Each state a family had, from its first import on: a corrected nómina adds one."""

    __tablename__ = "family_versions"
    __table_args__ = (UniqueConstraint("family_id", "version"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_id: Mapped[UUID] = mapped_column(ForeignKey("families.id"))
    version: Mapped[int]
    import_id: Mapped[UUID | None] = mapped_column(ForeignKey("nomina_imports.id"))
    change: Mapped[str] = mapped_column(String(20))  # creada, actualizada
    snapshot: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(120))


class NominaImport(Base):
    """One upload of a nómina file, its outcome and its full error report."""

    __tablename__ = "nomina_imports"
    __table_args__ = (
        # One successful import per file content, comuna and year: the same file twice is a no-op.
        Index(
            "uq_nomina_imports_imported_content",
            "comuna",
            "cohort_year",
            "content_sha256",
            unique=True,
            postgresql_where=text("status = 'importada'"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    comuna: Mapped[str] = mapped_column(String(80))
    cohort_year: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    content_sha256: Mapped[str] = mapped_column(String(64))
    accept_valid: Mapped[bool]
    status: Mapped[str] = mapped_column(String(20))  # importada, rechazada
    rows: Mapped[int]
    summary: Mapped[dict[str, Any]]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(120))


class Staff(Base):
    """People of the unit: Apoyos Familiares, the Jefe/a de Unidad, administrative staff."""

    __tablename__ = "staff"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    run: Mapped[str] = mapped_column(String(10), unique=True)
    full_name: Mapped[str] = mapped_column(String(160))
    role: Mapped[str] = mapped_column(String(30))
    comuna: Mapped[str] = mapped_column(String(80))
    reports_to_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff.id"))
    max_active_families: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Assignment(Base):
    """Which Apoyo Familiar accompanied a family, from when to when, and why."""

    __tablename__ = "assignments"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_id: Mapped[UUID] = mapped_column(ForeignKey("families.id"), index=True)
    staff_id: Mapped[UUID] = mapped_column(ForeignKey("staff.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    ended_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text)
    assigned_by: Mapped[str] = mapped_column(String(120))
