"""complaints: categories (versioned catalogue data), reports and their followers

A complaint is a case of kind "complaint" on the kernel's tables; ``complaints`` holds what only
a report has (category version, location, contact, rating). ``ix_complaints_duplicates`` serves
the duplicate lookup (open reports of one category in the grid cells around a point) on both
databases.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 13:16:53.758547
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel's column types)
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("name_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description_id", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("description_en", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("routing", sa.JSON(), nullable=False),
        sa.Column("form_schema", sa.JSON(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("anonymous_allowed", sa.Boolean(), nullable=False),
        sa.Column("exact_location_public", sa.Boolean(), nullable=False),
        sa.Column("response_hours", sa.Integer(), nullable=False),
        sa.Column("resolution_days", sa.Integer(), nullable=False),
        sa.Column("duplicate_radius_m", sa.Integer(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "version", name="uq_complaint_categories_version"),
    )
    with op.batch_alter_table("complaint_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_categories_code"), ["code"], unique=False)

    op.create_table(
        "complaint_followers",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("complaint_id", "user_id"),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("category_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("cell", sa.BigInteger(), nullable=True),
        sa.Column("area_code", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("contact_email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("contact_phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("response_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("first_response_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("duplicate_of_id", sa.Uuid(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("rated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["complaint_categories.id"],
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index("ix_complaints_area", ["area_code"], unique=False)
        batch_op.create_index(
            "ix_complaints_duplicates", ["category_code", "open", "cell"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_duplicates")
        batch_op.drop_index("ix_complaints_area")

    op.drop_table("complaints")
    op.drop_table("complaint_followers")
    with op.batch_alter_table("complaint_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_categories_code"))

    op.drop_table("complaint_categories")
