"""open311 keys

An Open311 ``api_key`` for a registered system client, stored as its SHA-256 (the key is 256
random bits, shown once: a fast hash is enough, and it lets a request find its client by the
key alone), and the reporter's name that a system may pass with a report (GeoReport v2's
``first_name`` and ``last_name``), kept with the contact, never shown in public; and an index
on the time of events, for the steps of every report in a window (servicerequestupdates).

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel's string column type)
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("open311_key_hash", _TEXT(length=64), nullable=True))
        batch_op.create_index(
            "ix_oauth_clients_open311_key_hash", ["open311_key_hash"], unique=True
        )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_name", _TEXT(length=200), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_created", ["created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_created")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("contact_name")
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.drop_index("ix_oauth_clients_open311_key_hash")
        batch_op.drop_column("open311_key_hash")
