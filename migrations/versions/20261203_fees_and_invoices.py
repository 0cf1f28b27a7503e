"""fee schedules and invoices

A service's fee schedule is catalogue data (``services.fee``); an invoice is one bill for a
fee that fell due, with its virtual account number, amount, expiry and state. Virtual account
numbers come from the reference numbering (series ``VA``: a sequence on PostgreSQL, a
``reference_counters`` row on SQLite), so none is ever reused.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel's UTC datetime column type)
from alembic import op

revision: str = "0018"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("fee", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("virtual_account", sa.String(length=28), nullable=False),
        sa.Column("customer_no", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due", sa.String(length=16), nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("paid_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("paid_amount", sa.BigInteger(), nullable=True),
        sa.Column("payment_reference", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("virtual_account"),
    )
    op.create_index("ix_invoices_case_id", "invoices", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_invoices_case_id", table_name="invoices")
    op.drop_table("invoices")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("fee")
