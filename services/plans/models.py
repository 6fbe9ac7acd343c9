"""Plans' tables. Only this service reads or writes them."""

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


class Case(Base):
    """The family's case file in plans, opened when its workflow starts."""

    __tablename__ = "cases"

    family_id: Mapped[UUID] = mapped_column(primary_key=True)
    # Unknown while only other owners' events have arrived; the workflow's OpenCase fills them.
    comuna: Mapped[str | None] = mapped_column(String(80))
    referred_on: Mapped[date | None]
    opened_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Learnt from other owners' events: when accompaniment may start, and when it ended.
    committed_on: Mapped[date | None]
    apoyo_familiar_id: Mapped[UUID | None] = mapped_column(index=True)
    exited_on: Mapped[date | None]
    exit_cause: Mapped[str | None] = mapped_column(String(20))


class Dimension(Base):
    """A *dimensión de bienestar*. The list is data: sources disagree on it."""

    __tablename__ = "dimensions"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)


class Indicator(Base):
    """An indicator of the *Matriz de Bienestar*, scored on the scale `levels` describes."""

    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    dimension_code: Mapped[str] = mapped_column(ForeignKey("dimensions.code"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    # [{"nivel": 1, "nombre": "Crítico"}, …]; levels at or under `critical_at` are critical.
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    critical_at: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)


class Diagnosis(Base):
    """The *diagnóstico Eje* of one family: draft until completed, then immutable."""

    __tablename__ = "diagnoses"
    __table_args__ = (
        Index(
            "uq_diagnoses_one_per_family",
            "family_id",
            unique=True,
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_id: Mapped[UUID] = mapped_column(ForeignKey("cases.family_id"))
    status: Mapped[str] = mapped_column(String(12), default="borrador")  # borrador, completado
    # [{"indicador": code, "nivel": n, "notas": str|None, "integrantes": [member ids]}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    lock_version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    completed_by: Mapped[str | None] = mapped_column(String(120))
    completed_on: Mapped[date | None]


class Plan(Base):
    """One version of the family's intervention plan. A signed version never changes."""

    __tablename__ = "plans"
    __table_args__ = (
        UniqueConstraint("family_id", "revision"),
        # At most one draft per family at a time.
        Index(
            "uq_plans_one_draft",
            "family_id",
            unique=True,
            postgresql_where=text("status = 'borrador'"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_id: Mapped[UUID] = mapped_column(ForeignKey("cases.family_id"), index=True)
    revision: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="borrador")  # borrador, firmado
    asl_adults: Mapped[int] = mapped_column(default=0)  # 0 simple, 1–2 double trajectory
    lock_version: Mapped[int] = mapped_column(default=1)
    signed_on: Mapped[date | None]
    signed_by: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    goals: Mapped[list[Goal]] = relationship(
        back_populates="plan", order_by="Goal.position", lazy="selectin", cascade="all"
    )


class Goal(Base):
    __tablename__ = "goals"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    plan_id: Mapped[UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    dimension_code: Mapped[str] = mapped_column(ForeignKey("dimensions.code"))
    description: Mapped[str] = mapped_column(Text)
    actions: Mapped[list[str]] = mapped_column(JSONB, default=list)
    responsible_member_id: Mapped[UUID | None]
    target_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="pendiente")

    plan: Mapped[Plan] = relationship(back_populates="goals")


class Session(Base):
    """One session with the family (APS, ASL, visit, interview, workshop…)."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("family_id", "held_on", "kind", "professional"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_id: Mapped[UUID] = mapped_column(ForeignKey("cases.family_id"))
    held_on: Mapped[date]
    kind: Mapped[str] = mapped_column(String(30))
    dimensions: Mapped[list[str]] = mapped_column(JSONB, default=list)
    goal_ids: Mapped[list[str]] = mapped_column(JSONB, default=list)
    attendee_ids: Mapped[list[str]] = mapped_column(JSONB, default=list)
    attendance: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)
    professional: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


Index("ix_sessions_family_month", Session.family_id, Session.held_on)


class Evaluation(Base):
    """The final evaluation against the diagnosis: indicators again, goals achieved."""

    __tablename__ = "evaluations"

    family_id: Mapped[UUID] = mapped_column(ForeignKey("cases.family_id"), primary_key=True)
    evaluated_on: Mapped[date]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    goals_achieved: Mapped[list[str]] = mapped_column(JSONB, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AbandonmentRecord(Base):
    """A document of the abandonment procedure: warning, home visit, report, recommendation."""

    __tablename__ = "abandonment_records"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    family_id: Mapped[UUID] = mapped_column(ForeignKey("cases.family_id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    dated: Mapped[date]
    author: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text)
    recommendation: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
