"""certificates: the template they were rendered from, and when their file was stored

A certificate's signed file is now written only after the approval committed (issue on trust:
no signed artefact may outlive a transaction that did not commit). ``stored_at`` says when
it was; until then there is none, and recovery after a crash writes it (``template`` and the
facts let it render the certificate again).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate refers to sqlmodel's column types)
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSTORED = sa.text("stored_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(
            sa.Column(
                "template",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="default",
            )
        )
        batch.add_column(sa.Column("stored_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # Every certificate issued so far had its file written with it.
    op.execute("UPDATE certificates SET stored_at = created_at")
    op.create_index(
        "ix_certificates_unstored",
        "certificates",
        ["created_at"],
        postgresql_where=UNSTORED,
        sqlite_where=UNSTORED,
    )


def downgrade() -> None:
    op.drop_index("ix_certificates_unstored", table_name="certificates")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("stored_at")
        batch.drop_column("template")
