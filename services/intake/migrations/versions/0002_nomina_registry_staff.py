"""nomina imports, versions, staff, assignments, representative, audit

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


def upgrade() -> None:
    create_audit_table()
    op.create_table(
        "nomina_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("comuna", sa.String(length=80), nullable=False),
        sa.Column("cohort_year", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("accept_valid", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomina_imports")),
    )
    op.create_index(
        "uq_nomina_imports_imported_content",
        "nomina_imports",
        ["comuna", "cohort_year", "content_sha256"],
        unique=True,
        postgresql_where=sa.text("status = 'importada'"),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("run", sa.String(length=10), nullable=False),
        sa.Column("full_name", sa.String(length=160), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("comuna", sa.String(length=80), nullable=False),
        sa.Column("reports_to_id", sa.Uuid(), nullable=True),
        sa.Column("max_active_families", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["reports_to_id"], ["staff.id"], name=op.f("fk_staff_reports_to_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("run", name=op.f("uq_staff_run")),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("assigned_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_assignments_family_id_families")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_assignments_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    op.create_index(op.f("ix_assignments_family_id"), "assignments", ["family_id"], unique=False)
    op.create_index(op.f("ix_assignments_staff_id"), "assignments", ["staff_id"], unique=False)
    op.create_table(
        "family_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=True),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_family_versions_family_id_families")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["nomina_imports.id"],
            name=op.f("fk_family_versions_import_id_nomina_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_versions")),
        sa.UniqueConstraint(
            "family_id", "version", name=op.f("uq_family_versions_family_id_version")
        ),
    )
    op.add_column(
        "families", sa.Column("version", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column("families", sa.Column("last_import_id", sa.Uuid(), nullable=True))
    op.add_column("families", sa.Column("representative_run", sa.String(length=10), nullable=True))
    op.add_column(
        "families", sa.Column("representative_reason", sa.String(length=40), nullable=True)
    )
    op.add_column("families", sa.Column("representative_justification", sa.Text(), nullable=True))
    op.add_column("families", sa.Column("representative_since", sa.Date(), nullable=True))
    op.add_column("families", sa.Column("apoyo_familiar_id", sa.Uuid(), nullable=True))
    op.create_index(
        op.f("ix_families_apoyo_familiar_id"), "families", ["apoyo_familiar_id"], unique=False
    )
    op.create_foreign_key(
        op.f("fk_families_last_import_id_nomina_imports"),
        "families",
        "nomina_imports",
        ["last_import_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_families_apoyo_familiar_id_staff"),
        "families",
        "staff",
        ["apoyo_familiar_id"],
        ["id"],
    )
    op.add_column("members", sa.Column("address", sa.String(length=200), nullable=True))
    op.add_column("members", sa.Column("comuna", sa.String(length=80), nullable=True))
    op.add_column("members", sa.Column("phone", sa.String(length=16), nullable=True))
    op.add_column("members", sa.Column("rsh_bracket", sa.Integer(), nullable=True))
    op.add_column("members", sa.Column("per_capita_income", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("members", "per_capita_income")
    op.drop_column("members", "rsh_bracket")
    op.drop_column("members", "phone")
    op.drop_column("members", "comuna")
    op.drop_column("members", "address")
    op.drop_constraint(op.f("fk_families_apoyo_familiar_id_staff"), "families", type_="foreignkey")
    op.drop_constraint(
        op.f("fk_families_last_import_id_nomina_imports"), "families", type_="foreignkey"
    )
    op.drop_index(op.f("ix_families_apoyo_familiar_id"), table_name="families")
    op.drop_column("families", "apoyo_familiar_id")
    op.drop_column("families", "representative_since")
    op.drop_column("families", "representative_justification")
    op.drop_column("families", "representative_reason")
    op.drop_column("families", "representative_run")
    op.drop_column("families", "last_import_id")
    op.drop_column("families", "version")
    op.drop_table("family_versions")
    op.drop_index(op.f("ix_assignments_staff_id"), table_name="assignments")
    op.drop_index(op.f("ix_assignments_family_id"), table_name="assignments")
    op.drop_table("assignments")
    op.drop_table("staff")
    op.drop_index(
        "uq_nomina_imports_imported_content",
        table_name="nomina_imports",
        postgresql_where=sa.text("status = 'importada'"),
    )
    op.drop_table("nomina_imports")
    drop_audit_table()
