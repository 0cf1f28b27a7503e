"""statistics counts per day and month, maintained with the facts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 12:00:00.000000

The figures used to be computed from every fact row in the period on each request; they now
come from these counts, maintained by the facts refresh. Facts written before this revision
have no counts, so they are cleared together with the watermark: the next refresh (`loket stats
refresh`, committed in batches and resumable) rebuilds both from the applications. The facts'
secondary indexes go: nothing reads the facts by those columns any more.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate refers to sqlmodel's column types)
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = ("grain", "starts_on", "service_code", "department_id")
# Facts are now read only by application id; these indexes only slowed every write.
_FACT_INDEXES = ("decided_on", "department_id", "service_code", "submitted_on")


def _key_columns() -> list[sa.Column]:
    return [
        sa.Column("grain", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("service_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "stats_counts",
        *_key_columns(),
        *[
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "received",
                "still_open",
                "approved",
                "rejected",
                "withdrawn",
                "within_sla",
                "revised",
            )
        ],
        sa.PrimaryKeyConstraint(*_KEY),
    )
    op.create_table(
        "stats_working_days",
        *_key_columns(),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*_KEY, "working_days"),
    )
    op.execute("DELETE FROM application_facts")
    op.execute("DELETE FROM stats_state")
    with op.batch_alter_table("application_facts", schema=None) as batch_op:
        for name in _FACT_INDEXES:
            batch_op.drop_index(batch_op.f(f"ix_application_facts_{name}"))


def downgrade() -> None:
    with op.batch_alter_table("application_facts", schema=None) as batch_op:
        for name in _FACT_INDEXES:
            batch_op.create_index(batch_op.f(f"ix_application_facts_{name}"), [name], unique=False)
    op.drop_table("stats_working_days")
    op.drop_table("stats_counts")
