"""apps acting for residents

Clients registered for the authorization code grant (redirect URIs, public or confidential, the
operator named on the consent page, NIK approval, pairwise-subject sector), the authorization
codes (hashed, single use), and the residents' grants to apps. Existing clients are systems
using client credentials, which the column defaults describe.

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel's UTC datetime column type)
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "grant_types",
                _TEXT(length=200),
                nullable=False,
                server_default="client_credentials",
            )
        )
        batch_op.add_column(
            sa.Column("redirect_uris", _TEXT(length=4000), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("operator", _TEXT(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("logo_url", _TEXT(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("nik_approved", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("sector", _TEXT(length=200), nullable=True))
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", _TEXT(length=64), nullable=False),
        sa.Column("client_id", _TEXT(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("redirect_uri", _TEXT(length=2000), nullable=False),
        sa.Column("scope", _TEXT(length=500), nullable=False),
        sa.Column("code_challenge", _TEXT(length=128), nullable=False),
        sa.Column("nonce", _TEXT(length=500), nullable=True),
        sa.Column("auth_time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.create_index("ix_authorization_codes_user_id", ["user_id"], unique=False)
    op.create_table(
        "oauth_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", _TEXT(length=64), nullable=False),
        sa.Column("scope", _TEXT(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("oauth_grants", schema=None) as batch_op:
        batch_op.create_index("ix_oauth_grants_client_id", ["client_id"], unique=False)
        batch_op.create_index("ux_oauth_grants_user_client", ["user_id", "client_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("oauth_grants", schema=None) as batch_op:
        batch_op.drop_index("ux_oauth_grants_user_client")
        batch_op.drop_index("ix_oauth_grants_client_id")
    op.drop_table("oauth_grants")
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_authorization_codes_user_id")
    op.drop_table("authorization_codes")
    with op.batch_alter_table("oauth_clients", schema=None) as batch_op:
        for name in (
            "sector",
            "nik_approved",
            "logo_url",
            "operator",
            "public",
            "redirect_uris",
            "grant_types",
        ):
            batch_op.drop_column(name)
