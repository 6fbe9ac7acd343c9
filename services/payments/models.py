"""Payments' tables. Only this service reads or writes them."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

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


class OutboxEvent(OutboxMixin, Base):
    pass


class CommandLogEntry(CommandLogMixin, Base):
    pass


class InboxEntry(InboxMixin, Base):
    pass
