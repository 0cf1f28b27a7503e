"""complaint deadlines

Complaint categories carry the deadline keys services have (``deadlines``: warning share,
extension, objections), and reports now warn, escalate and take objections. Open reports filed
before this had no ``deadline_at`` (nothing could act on them): it is set to their filing time,
so the first sweep after the upgrade computes each one's next instant, and acts on any that are
already past their warning or deadline.

Revision ID: 0032
Revises: 0023
Create Date: 2026-12-04 19:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The complaint workflow's states whose clock runs (app.workflow.definitions), as of this revision.
_RUNNING = ("reported", "accepted", "in_progress", "resolved")


def upgrade() -> None:
    with op.batch_alter_table("complaint_categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadlines", sa.JSON(), nullable=False, server_default="{}"))
    cases = sa.table(
        "cases",
        sa.column("kind", sa.String),
        sa.column("state", sa.String),
        sa.column("submitted_at", sa.DateTime),
        sa.column("deadline_at", sa.DateTime),
    )
    op.execute(
        cases.update()
        .where(
            cases.c.kind == "complaint",
            cases.c.state.in_(_RUNNING),
            cases.c.deadline_at.is_(None),
            cases.c.submitted_at.is_not(None),
        )
        .values(deadline_at=cases.c.submitted_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("complaint_categories", schema=None) as batch_op:
        batch_op.drop_column("deadlines")
