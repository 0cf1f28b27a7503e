"""events by action and time

The statistics count deadline events per period (``app.cases.deadlines.deadline_counts``:
warnings, escalations, extensions, deemed approvals, objections): with this index each action
is one index range, not a scan of every event ever recorded.

Revision ID: 0022
Revises: 0017
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_events_action_created", "events", ["action", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_action_created", table_name="events")
