"""deadlines that bind

Every case keeps the next instant its deadline sweep has to act on (``deadline_at``, indexed
where set, so the sweep never reads the table), when it was warned and escalated, and the
working days of its one extension. A service keeps its deadline rules from the catalogue
(``deadlines``: warning share, extension, deemed approval); existing services have none and take
the defaults. Existing cases get ``deadline_at`` from the next sweep-relevant action only once
an action moves them; a running case already past its due day is picked up by
``loket sla sweep`` after ``UPDATE cases SET deadline_at = now()`` for the states whose clock
runs, which this migration does.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-02 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel's UTC datetime column type)
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The states whose clock runs when this migration was written (app.workflow.definitions).
_RUNNING = ("submitted", "in_review", "in_verification", "verified")


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_at", sqlmodel.sql.sqltypes.UTCDateTime()))
        batch_op.add_column(sa.Column("sla_warned_at", sqlmodel.sql.sqltypes.UTCDateTime()))
        batch_op.add_column(sa.Column("escalated_at", sqlmodel.sql.sqltypes.UTCDateTime()))
        batch_op.add_column(
            sa.Column("extended_days", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            "ix_cases_deadline",
            ["deadline_at"],
            unique=False,
            postgresql_where=sa.text("deadline_at IS NOT NULL"),
            sqlite_where=sa.text("deadline_at IS NOT NULL"),
        )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadlines", sa.JSON(), nullable=False, server_default="{}"))
    # Cases already running: the first sweep works out their real next deadline.
    cases = sa.table(
        "cases",
        sa.column("state", sa.String),
        sa.column("deadline_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    op.execute(
        cases.update()
        .where(cases.c.state.in_(_RUNNING), cases.c.submitted_at.is_not(None))
        .values(deadline_at=cases.c.submitted_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("deadlines")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_deadline")
        batch_op.drop_column("extended_days")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("sla_warned_at")
        batch_op.drop_column("deadline_at")
