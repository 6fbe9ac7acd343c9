"""Plans' tables. Only this service reads or writes them."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


class Case(Base):
    """The family's case file in plans, opened when its workflow starts."""

    __tablename__ = "cases"

    family_id: Mapped[UUID] = mapped_column(primary_key=True)
    comuna: Mapped[str] = mapped_column(String(80))
    referred_on: Mapped[date]
    opened_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OutboxEvent(OutboxMixin, Base):
    pass


class CommandLogEntry(CommandLogMixin, Base):
    pass


class InboxEntry(InboxMixin, Base):
    pass
