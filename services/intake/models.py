"""Intake's tables. Only this service reads or writes them."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db.base import (
    TYPE_ANNOTATION_MAP,
    CommandLogMixin,
    InboxMixin,
    OutboxMixin,
    service_metadata,
)


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


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

    members: Mapped[list[Member]] = relationship(
        back_populates="family", order_by="Member.position", lazy="selectin"
    )


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

    family: Mapped[Family] = relationship(back_populates="members")


class OutboxEvent(OutboxMixin, Base):
    pass


class CommandLogEntry(CommandLogMixin, Base):
    pass


class InboxEntry(InboxMixin, Base):
    pass
