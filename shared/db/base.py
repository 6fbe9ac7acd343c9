"""Declarative base and the tables every service database has: outbox, command log, inbox, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, Identity, Index, MetaData, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """Fresh metadata for one service's `Base(DeclarativeBase)`."""
    return MetaData(naming_convention=NAMING_CONVENTION)


TYPE_ANNOTATION_MAP: dict[Any, Any] = {datetime: DateTime(timezone=True), dict[str, Any]: JSONB}


class OutboxMixin:
    """Events written in the same transaction as the state they describe (consistency rule 1)."""

    __tablename__ = "outbox"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(default=None)

    @declared_attr.directive
    def __table_args__(self) -> tuple[Any, ...]:
        return (
            Index(
                "ix_outbox_unpublished",
                "seq",
                postgresql_where=text("published_at IS NULL"),
            ),
        )


class CommandLogMixin:
    """First answer to each idempotency key, with a hash of the request that produced it."""

    __tablename__ = "command_log"

    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class InboxMixin:
    """Events a consumer has already applied (consistency rule 2)."""

    __tablename__ = "inbox"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[UUID] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(Text)
    processed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AuditMixin:
    """Who did what, when, to which record: read by an auditor a year later. Append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


OUTBOX_NOTIFY_CHANNEL = "outbox"

# Wakes the relay as soon as a transaction that wrote events commits.
OUTBOX_NOTIFY_DDL = (
    """
    CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('outbox', '');
        RETURN NULL;
    END;
    $$
    """,
    """
    CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()
    """,
)
OUTBOX_NOTIFY_DROP = (
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "DROP FUNCTION IF EXISTS outbox_notify()",
)


def declare_shared_tables(base: type[DeclarativeBase]) -> None:
    """Map the outbox, command log, inbox and audit tables into one service's metadata."""
    for name, mixin in (
        ("OutboxEvent", OutboxMixin),
        ("CommandLogEntry", CommandLogMixin),
        ("InboxEntry", InboxMixin),
        ("AuditEntry", AuditMixin),
    ):
        type(name, (mixin, base), {"__module__": base.__module__})
