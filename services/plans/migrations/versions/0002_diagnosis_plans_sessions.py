"""diagnosis, plans, sessions, evaluation, abandonment, catalog

Revision ID: 0002
Revises: 0001

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db.migration_ops import create_audit_table, drop_audit_table

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The starting catalog (DOMAIN.md §2): dimensions and a Matriz de Bienestar to begin with.
# It is data: the unit edits it; later migrations never overwrite what it changed.
LEVELS = [
    {"nivel": 1, "nombre": "Crítico"},
    {"nivel": 2, "nombre": "A trabajar"},
    {"nivel": 3, "nombre": "En proceso"},
    {"nivel": 4, "nombre": "Logrado"},
]
DIMENSIONS = [
    ("salud", "Salud"),
    ("educacion", "Educación"),
    ("trabajo", "Trabajo y Seguridad Social"),
    ("ingresos", "Ingresos"),
    ("vivienda", "Vivienda y Entorno"),
]
INDICATORS = [
    ("salud", "inscripcion_salud", "Integrantes inscritos en su centro de salud (CESFAM)"),
    ("salud", "controles_al_dia", "Controles de salud al día (niños, niñas y personas mayores)"),
    (
        "educacion",
        "asistencia_escolar",
        "Asistencia escolar regular de niños, niñas y adolescentes",
    ),
    ("educacion", "nivelacion_estudios", "Adultos con estudios nivelados o en curso"),
    ("trabajo", "empleo", "Adultos en edad de trabajar con empleo o en búsqueda activa"),
    ("trabajo", "cotizacion", "Trabajo con cotización previsional"),
    ("ingresos", "ingresos_autonomos", "Ingresos autónomos sobre la línea de pobreza extrema"),
    ("ingresos", "beneficios", "Acceso a los subsidios y beneficios que corresponden"),
    ("vivienda", "habitabilidad", "Agua, electricidad y saneamiento en la vivienda"),
    ("vivienda", "entorno", "Entorno seguro y acceso a redes comunitarias"),
]


def _seed_catalog() -> None:
    dimensions = sa.table(
        "dimensions",
        sa.column("code"),
        sa.column("name"),
        sa.column("position"),
        sa.column("active"),
    )
    indicators = sa.table(
        "indicators",
        sa.column("code"),
        sa.column("dimension_code"),
        sa.column("name"),
        sa.column("position"),
        sa.column("levels", postgresql.JSONB),
        sa.column("critical_at"),
        sa.column("active"),
    )
    op.bulk_insert(
        dimensions,
        [
            {"code": c, "name": n, "position": i, "active": True}
            for i, (c, n) in enumerate(DIMENSIONS)
        ],
    )
    op.bulk_insert(
        indicators,
        [
            {
                "code": code,
                "dimension_code": dimension,
                "name": name,
                "position": i,
                "levels": LEVELS,
                "critical_at": 1,
                "active": True,
            }
            for i, (dimension, code, name) in enumerate(INDICATORS)
        ],
    )


def upgrade() -> None:
    create_audit_table()
    op.create_table(
        "dimensions",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_dimensions")),
    )
    op.create_table(
        "abandonment_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dated", sa.Date(), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("recommendation", sa.String(length=20), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["cases.family_id"], name=op.f("fk_abandonment_records_family_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abandonment_records")),
    )
    op.create_index(
        op.f("ix_abandonment_records_family_id"), "abandonment_records", ["family_id"], unique=False
    )
    op.create_table(
        "diagnoses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_by", sa.String(length=120), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"], ["cases.family_id"], name=op.f("fk_diagnoses_family_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnoses")),
    )
    op.create_index("uq_diagnoses_one_per_family", "diagnoses", ["family_id"], unique=True)
    op.create_table(
        "evaluations",
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("goals_achieved", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("completed_by", sa.String(length=120), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["cases.family_id"], name=op.f("fk_evaluations_family_id_cases")
        ),
        sa.PrimaryKeyConstraint("family_id", name=op.f("pk_evaluations")),
    )
    op.create_table(
        "indicators",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("dimension_code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("levels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("critical_at", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dimension_code"],
            ["dimensions.code"],
            name=op.f("fk_indicators_dimension_code_dimensions"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_indicators")),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("asl_adults", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("signed_by", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["cases.family_id"], name=op.f("fk_plans_family_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("family_id", "revision", name=op.f("uq_plans_family_id_revision")),
    )
    op.create_index(op.f("ix_plans_family_id"), "plans", ["family_id"], unique=False)
    op.create_index(
        "uq_plans_one_draft",
        "plans",
        ["family_id"],
        unique=True,
        postgresql_where=sa.text("status = 'borrador'"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("dimensions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("goal_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attendee_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attendance", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("professional", sa.String(length=120), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["cases.family_id"], name=op.f("fk_sessions_family_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint(
            "family_id",
            "held_on",
            "kind",
            "professional",
            name=op.f("uq_sessions_family_id_held_on_kind_professional"),
        ),
    )
    op.create_index("ix_sessions_family_month", "sessions", ["family_id", "held_on"], unique=False)
    op.create_table(
        "goals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("dimension_code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("actions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("responsible_member_id", sa.Uuid(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["dimension_code"], ["dimensions.code"], name=op.f("fk_goals_dimension_code_dimensions")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_goals_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    op.create_index(op.f("ix_goals_plan_id"), "goals", ["plan_id"], unique=False)
    op.add_column("cases", sa.Column("committed_on", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("apoyo_familiar_id", sa.Uuid(), nullable=True))
    op.add_column("cases", sa.Column("exited_on", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("exit_cause", sa.String(length=20), nullable=True))
    op.alter_column("cases", "comuna", existing_type=sa.String(length=80), nullable=True)
    op.alter_column("cases", "referred_on", existing_type=sa.Date(), nullable=True)
    _seed_catalog()
    op.create_index(
        op.f("ix_cases_apoyo_familiar_id"), "cases", ["apoyo_familiar_id"], unique=False
    )


def downgrade() -> None:
    op.alter_column("cases", "referred_on", existing_type=sa.Date(), nullable=False)
    op.alter_column("cases", "comuna", existing_type=sa.String(length=80), nullable=False)
    op.drop_index(op.f("ix_cases_apoyo_familiar_id"), table_name="cases")
    op.drop_column("cases", "exit_cause")
    op.drop_column("cases", "exited_on")
    op.drop_column("cases", "apoyo_familiar_id")
    op.drop_column("cases", "committed_on")
    op.drop_index(op.f("ix_goals_plan_id"), table_name="goals")
    op.drop_table("goals")
    op.drop_index("ix_sessions_family_month", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index(
        "uq_plans_one_draft", table_name="plans", postgresql_where=sa.text("status = 'borrador'")
    )
    op.drop_index(op.f("ix_plans_family_id"), table_name="plans")
    op.drop_table("plans")
    op.drop_table("indicators")
    op.drop_table("evaluations")
    op.drop_index("uq_diagnoses_one_per_family", table_name="diagnoses")
    op.drop_table("diagnoses")
    op.drop_index(op.f("ix_abandonment_records_family_id"), table_name="abandonment_records")
    op.drop_table("abandonment_records")
    op.drop_table("dimensions")
    drop_audit_table()
