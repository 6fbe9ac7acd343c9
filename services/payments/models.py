"""Payments' tables. Only this service reads or writes them."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, String, UniqueConstraint, func
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


class Entitlement(Base):
    """What a family is owed for one month and concept. Unique: never registered twice."""

    __tablename__ = "entitlements"
    __table_args__ = (UniqueConstraint("family_id", "period", "concept"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_id: Mapped[UUID] = mapped_column(index=True)
    period: Mapped[date]
    concept: Mapped[str] = mapped_column(String(40))
    plan_month: Mapped[int]
    tranche: Mapped[int]
    amount: Mapped[int] = mapped_column(BigInteger)  # CLP
    tariff_effective_from: Mapped[date]
    tariff_source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OutboxEvent(OutboxMixin, Base):
    pass


class CommandLogEntry(CommandLogMixin, Base):
    pass


class InboxEntry(InboxMixin, Base):
    pass
