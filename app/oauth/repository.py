"""Queries for OAuth: machine clients, refresh tokens, revoked access tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, delete, exists, or_, update
from sqlmodel import Session, col, select

from app.db import rowcount, upsert
from app.models import (
    AuthorizationCode,
    OAuthClient,
    OAuthGrant,
    RefreshToken,
    RevokedToken,
    RevokedTokenFamily,
    User,
)

# Machine clients


def client_by_id(session: Session, client_id: str) -> OAuthClient | None:
    query = select(OAuthClient).where(col(OAuthClient.client_id) == client_id)
    return session.exec(query).first()


def client_by_open311_key_hash(session: Session, key_hash: str) -> OAuthClient | None:
    query = select(OAuthClient).where(col(OAuthClient.open311_key_hash) == key_hash)
    return session.exec(query).first()


def all_clients(session: Session) -> list[OAuthClient]:
    """Every client, oldest first."""
    return list(session.exec(select(OAuthClient).order_by(col(OAuthClient.created_at))).all())


def insert_client(session: Session, client: OAuthClient) -> None:
    session.add(client)
    session.flush()


def save_client(session: Session, client: OAuthClient) -> None:
    session.add(client)


# Refresh tokens


def refresh_token_by_hash(session: Session, token_hash: str) -> RefreshToken | None:
    query = select(RefreshToken).where(col(RefreshToken.token_hash) == token_hash)
    return session.exec(query).first()


def claim_rotation(session: Session, *, token_id: int, now: datetime) -> bool:
    """Mark a refresh token rotated; False if it was rotated already (by this or a rival)."""
    claimed = session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.id) == token_id, col(RefreshToken.rotated_at).is_(None))
        .values(rotated_at=now)
    )
    return rowcount(claimed) > 0


def revoke_family(
    session: Session, *, family_id: uuid.UUID, now: datetime, access_until: datetime
) -> None:
    """End a family: its refresh tokens, and its access tokens (listed until ``access_until``,
    when the last of them has expired)."""
    session.execute(
        update(RefreshToken).where(col(RefreshToken.family_id) == family_id).values(revoked_at=now)
    )
    upsert(
        session,
        RevokedTokenFamily,
        {"family_id": family_id, "expires_at": access_until, "revoked_at": now},
        key=["family_id"],
    )


def revoke_refresh_token(
    session: Session, *, token_hash: str, client_id: str, now: datetime
) -> None:
    """Revoke one refresh token, if it exists and was issued to ``client_id``."""
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.token_hash) == token_hash, col(RefreshToken.client_id) == client_id)
        .values(revoked_at=now)
    )


def insert_refresh_token(session: Session, token: RefreshToken) -> None:
    session.add(token)


# Revoked access tokens


def is_revoked(session: Session, jti: str, *, family_id: uuid.UUID | None = None) -> bool:
    """Whether the access token ``jti``, or the family it belongs to, was revoked."""
    if session.get(RevokedToken, jti) is not None:
        return True
    return family_id is not None and session.get(RevokedTokenFamily, family_id) is not None


def insert_revoked_token(session: Session, row: RevokedToken) -> None:
    session.add(row)


# Built once: the account, and whether this token or its family is on a revocation list.
_USER_AND_REVOCATION = select(
    User,
    or_(
        exists().where(col(RevokedToken.jti) == bindparam("jti")),
        exists().where(col(RevokedTokenFamily.family_id) == bindparam("family_id")),
    ),
).where(col(User.id) == bindparam("user_id"))


def user_and_revocation(
    session: Session, *, user_id: uuid.UUID, jti: str, family_id: uuid.UUID | None
) -> tuple[User, bool] | None:
    """The account and whether the token ``jti`` or its family was revoked, in one round trip;
    None when there is no such account (the revocation is then unknown)."""
    row = session.execute(
        _USER_AND_REVOCATION, {"user_id": user_id, "jti": jti, "family_id": family_id}
    ).first()
    return None if row is None else (row[0], bool(row[1]))


def attach_user(session: Session, user: User) -> User:
    """A copy of an account loaded by an earlier session, in this session (no query)."""
    return session.merge(user, load=False)


# Authorization codes and residents' grants to apps


def insert_code(session: Session, code: AuthorizationCode) -> None:
    session.add(code)


def code_by_hash(session: Session, code_hash: str) -> AuthorizationCode | None:
    return session.get(AuthorizationCode, code_hash)


def claim_code(session: Session, *, code_hash: str, now: datetime) -> bool:
    """Mark a code used; False if it was used already (by this or a rival request)."""
    claimed = session.execute(
        update(AuthorizationCode)
        .where(
            col(AuthorizationCode.code_hash) == code_hash,
            col(AuthorizationCode.used_at).is_(None),
        )
        .values(used_at=now)
    )
    return rowcount(claimed) > 0


def grant_of(session: Session, *, user_id: uuid.UUID, client_id: str) -> OAuthGrant | None:
    query = select(OAuthGrant).where(
        col(OAuthGrant.user_id) == user_id, col(OAuthGrant.client_id) == client_id
    )
    return session.exec(query).first()


def save_grant(
    session: Session, *, user_id: uuid.UUID, client_id: str, scope: str, now: datetime
) -> None:
    """Create or replace the resident's grant to an app (one statement: two tabs may race)."""
    upsert(
        session,
        OAuthGrant,
        {
            "user_id": user_id,
            "client_id": client_id,
            "scope": scope,
            "created_at": now,
            "updated_at": now,
        },
        key=["user_id", "client_id"],
        replace=["scope", "updated_at"],
    )


def grants_of_user(session: Session, user_id: uuid.UUID) -> list[tuple[OAuthGrant, OAuthClient]]:
    """A resident's grants with their apps, most recent first."""
    query = (
        select(OAuthGrant, OAuthClient)
        .join(OAuthClient, col(OAuthClient.client_id) == col(OAuthGrant.client_id))
        .where(col(OAuthGrant.user_id) == user_id)
        .order_by(col(OAuthGrant.updated_at).desc())
    )
    return [(grant, client) for grant, client in session.exec(query).all()]


def delete_grant(session: Session, *, user_id: uuid.UUID, client_id: str) -> bool:
    deleted = session.execute(
        delete(OAuthGrant).where(
            col(OAuthGrant.user_id) == user_id, col(OAuthGrant.client_id) == client_id
        )
    )
    return rowcount(deleted) > 0


def families_of(session: Session, *, user_id: uuid.UUID, client_id: str) -> list[uuid.UUID]:
    """Every refresh-token family of a resident with one app (each a sign-in through it)."""
    query = (
        select(RefreshToken.family_id)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.client_id) == client_id)
        .distinct()
    )
    return list(session.exec(query).all())


def burn_codes(session: Session, *, user_id: uuid.UUID, client_id: str, now: datetime) -> None:
    """Make the unused codes of a resident for one app unusable."""
    session.execute(
        update(AuthorizationCode)
        .where(
            col(AuthorizationCode.user_id) == user_id,
            col(AuthorizationCode.client_id) == client_id,
            col(AuthorizationCode.used_at).is_(None),
        )
        .values(used_at=now)
    )
