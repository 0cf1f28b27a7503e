"""kept forms

A form posted after the person's session had ended is kept (for an hour, single use) until they
have signed in again and are back on the page, which shows it filled in again (issue 13, item 1).

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-02 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel's UTC datetime column type)
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kept_forms",
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("return_path", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("had_files", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("kept_forms", schema=None) as batch_op:
        batch_op.create_index("ix_kept_forms_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kept_forms", schema=None) as batch_op:
        batch_op.drop_index("ix_kept_forms_expires_at")
    op.drop_table("kept_forms")
