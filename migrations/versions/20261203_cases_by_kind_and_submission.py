"""cases by kind and submission time

Complaint statistics (``app.stats.complaints``) aggregate the complaints submitted in a period,
and the open data lists them by submission time: with this index both are one index range of
one case type, not a scan of every case. ``ix_complaints_open`` holds only the open reports,
which the statistics count per category.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_kind_submitted", "cases", ["kind", "submitted_at"], unique=False)
    op.create_index(
        "ix_complaints_open",
        "complaints",
        ["category_code", "id"],
        unique=False,
        postgresql_where=sa.text("open"),
        sqlite_where=sa.text("open = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_complaints_open", table_name="complaints")
    op.drop_index("ix_cases_kind_submitted", table_name="cases")
