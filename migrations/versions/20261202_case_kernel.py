"""case kernel: applications become cases of kind "application"

Every case type shares the ``cases`` table (number, state, workflow, SLA clock, assignee,
timeline head); ``applications`` keeps what only permits have (the service version). Events and
documents belong to cases. Existing rows move over unchanged, hash chains included (an event's
hash names its case under the old key, ``application_id``, see app/cases/timeline.py).

Written by hand. SQLite cannot drop a column that a foreign key uses, so the tables are rebuilt
there (batch mode); ``app.migrate`` runs migrations with SQLite's foreign keys off and checks
them all before committing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate refers to sqlmodel's column types)
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_INDEXES = (
    "ix_applications_applicant_created",
    "ix_applications_assigned_to_id",
    "ix_applications_dept_created",
    "ix_applications_dept_due",
    "ix_applications_dept_state_created",
    "ix_applications_updated",
    "ix_applications_queue",
)
DRAFTS_HIDDEN = sa.text("state <> 'draft'")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    for name in OLD_INDEXES:
        op.drop_index(name, table_name="applications")
    # Renaming keeps every row, and every foreign key that pointed at applications (events,
    # documents, certificates) now points at cases, on both databases.
    op.rename_table("applications", "cases")
    for old, new in (
        ("applicant_id", "owner_id"),
        ("service_code", "subject_code"),
        ("verified_by_id", "first_officer_id"),
    ):
        op.execute(f"ALTER TABLE cases RENAME COLUMN {old} TO {new}")
    op.add_column(
        "cases",
        sa.Column(
            "kind",
            sqlmodel.sql.sqltypes.AutoString(length=16),
            nullable=False,
            server_default="application",
        ),
    )
    op.add_column(
        "cases",
        sa.Column(
            "workflow",
            sqlmodel.sql.sqltypes.AutoString(length=32),
            nullable=False,
            server_default="",
        ),
    )
    op.execute(
        "UPDATE cases SET workflow = (SELECT services.workflow FROM services"
        " WHERE services.id = cases.service_id)"
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_applications_service_id", "applications", ["service_id"])
    op.execute("INSERT INTO applications (id, service_id) SELECT id, service_id FROM cases")
    with op.batch_alter_table("cases", recreate="auto") as batch:
        batch.drop_column("service_id")
        batch.alter_column("owner_id", existing_type=sa.Uuid(), nullable=True)
        # The defaults only filled the existing rows: every case says its kind and workflow.
        batch.alter_column(
            "kind", server_default=None, existing_type=sqlmodel.sql.sqltypes.AutoString(length=16)
        )
        batch.alter_column(
            "workflow",
            server_default=None,
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
        )
    _case_indexes()
    _events_and_documents_to_cases()


def _case_indexes() -> None:
    op.create_index("ix_cases_assigned_to_id", "cases", ["assigned_to_id"])
    op.create_index("ix_cases_dept_created", "cases", ["department_id", "kind", "created_at", "id"])
    op.create_index(
        "ix_cases_dept_state_created",
        "cases",
        ["department_id", "kind", "state", "created_at", "id"],
    )
    op.create_index("ix_cases_owner_created", "cases", ["owner_id", "kind", "created_at", "id"])
    op.create_index("ix_cases_dept_due", "cases", ["department_id", "due_at"])
    op.create_index("ix_cases_updated", "cases", ["updated_at", "id"])
    op.create_index(
        "ix_cases_queue",
        "cases",
        ["department_id", "kind", "created_at", "id"],
        postgresql_where=DRAFTS_HIDDEN,
        sqlite_where=DRAFTS_HIDDEN,
    )


def _events_and_documents_to_cases() -> None:
    op.drop_index("ix_documents_application_requirement", table_name="documents")
    op.execute("ALTER TABLE documents RENAME COLUMN application_id TO case_id")
    op.create_index("ix_documents_case_requirement", "documents", ["case_id", "requirement"])
    op.execute("ALTER TABLE events RENAME COLUMN application_id TO case_id")
    if _sqlite():
        with op.batch_alter_table("events", recreate="always") as batch:
            batch.drop_constraint("uq_events_application_seq", type_="unique")
            batch.create_unique_constraint("uq_events_case_seq", ["case_id", "seq"])
    else:
        op.execute(
            "ALTER TABLE events RENAME CONSTRAINT uq_events_application_seq TO uq_events_case_seq"
        )


def downgrade() -> None:
    if _sqlite():
        with op.batch_alter_table("events", recreate="always") as batch:
            batch.drop_constraint("uq_events_case_seq", type_="unique")
            batch.create_unique_constraint("uq_events_application_seq", ["case_id", "seq"])
    else:
        op.execute(
            "ALTER TABLE events RENAME CONSTRAINT uq_events_case_seq TO uq_events_application_seq"
        )
    op.execute("ALTER TABLE events RENAME COLUMN case_id TO application_id")
    op.drop_index("ix_documents_case_requirement", table_name="documents")
    op.execute("ALTER TABLE documents RENAME COLUMN case_id TO application_id")
    op.create_index(
        "ix_documents_application_requirement", "documents", ["application_id", "requirement"]
    )
    for name in (
        "ix_cases_assigned_to_id",
        "ix_cases_dept_created",
        "ix_cases_dept_state_created",
        "ix_cases_owner_created",
        "ix_cases_dept_due",
        "ix_cases_updated",
        "ix_cases_queue",
    ):
        op.drop_index(name, table_name="cases")
    # Only applications existed before the kernel: other kinds of case cannot go back, and
    # neither can their timelines and documents.
    for table in ("events", "documents"):
        op.execute(
            f"DELETE FROM {table} WHERE application_id IN"
            " (SELECT id FROM cases WHERE kind <> 'application')"
        )
    op.execute("DELETE FROM cases WHERE kind <> 'application'")
    op.add_column("cases", sa.Column("service_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE cases SET service_id = (SELECT applications.service_id FROM applications"
        " WHERE applications.id = cases.id)"
    )
    op.drop_index("ix_applications_service_id", table_name="applications")
    op.drop_table("applications")
    with op.batch_alter_table("cases", recreate="auto") as batch:
        batch.drop_column("kind")
        batch.drop_column("workflow")
        batch.alter_column("service_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("owner_id", existing_type=sa.Uuid(), nullable=False)
        batch.create_foreign_key("fk_applications_service_id", "services", ["service_id"], ["id"])
    for old, new in (
        ("applicant_id", "owner_id"),
        ("service_code", "subject_code"),
        ("verified_by_id", "first_officer_id"),
    ):
        op.execute(f"ALTER TABLE cases RENAME COLUMN {new} TO {old}")
    op.rename_table("cases", "applications")
    op.create_index(
        "ix_applications_applicant_created", "applications", ["applicant_id", "created_at", "id"]
    )
    op.create_index("ix_applications_assigned_to_id", "applications", ["assigned_to_id"])
    op.create_index(
        "ix_applications_dept_created", "applications", ["department_id", "created_at", "id"]
    )
    op.create_index("ix_applications_dept_due", "applications", ["department_id", "due_at"])
    op.create_index(
        "ix_applications_dept_state_created",
        "applications",
        ["department_id", "state", "created_at", "id"],
    )
    op.create_index("ix_applications_updated", "applications", ["updated_at", "id"])
    op.create_index(
        "ix_applications_queue",
        "applications",
        ["department_id", "created_at", "id"],
        postgresql_where=DRAFTS_HIDDEN,
        sqlite_where=DRAFTS_HIDDEN,
    )
