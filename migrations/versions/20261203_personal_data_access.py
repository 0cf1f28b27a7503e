"""personal data access: every read of a resident's personal data, and its leaf in the audit log

A row per read by an officer, an app or a system client (names of what was read, never the
values), and the audit log's leaves widened so that a leaf is either an event or such a read.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel's UTC datetime column type)
from alembic import op

revision: str = "0019"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "personal_data_access",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("accessed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("accessor_type", _TEXT(length=16), nullable=False),
        sa.Column("accessor_id", _TEXT(length=64), nullable=False),
        sa.Column("accessor_name", _TEXT(length=200), nullable=False),
        sa.Column("accessor_role", _TEXT(length=16), nullable=False),
        sa.Column("what", _TEXT(length=32), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("hash", _TEXT(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_personal_data_access_subject", "personal_data_access", ["subject_id", "id"]
    )
    op.create_index("ix_personal_data_access_accessed_at", "personal_data_access", ["accessed_at"])
    op.create_index(
        "ix_personal_data_access_accessor", "personal_data_access", ["accessor_id", "accessed_at"]
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("event_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column("case_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column("access_id", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint("uq_audit_log_access_id", ["access_id"])


def downgrade() -> None:
    # Leaves of reads cannot stay in a log whose leaves are events only.
    op.execute("DELETE FROM audit_log WHERE access_id IS NOT NULL")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_log_access_id", type_="unique")
        batch_op.drop_column("access_id")
        batch_op.alter_column("case_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("event_id", existing_type=sa.BigInteger(), nullable=False)
    op.drop_index("ix_personal_data_access_accessor", table_name="personal_data_access")
    op.drop_index("ix_personal_data_access_accessed_at", table_name="personal_data_access")
    op.drop_index("ix_personal_data_access_subject", table_name="personal_data_access")
    op.drop_table("personal_data_access")
