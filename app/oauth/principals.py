"""Who a verified access token speaks for: a user (through Loket's app) or a machine client."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, exists, select
from sqlmodel import Session, col

from app.accounts.principal import Principal
from app.errors import Msg
from app.models import RevokedToken, User
from app.oauth import clients
from app.oauth.tokens import AccessClaims, InvalidToken
from app.ratelimit import hit_on_its_own
from app.runtime import Runtime


def is_client_token(claims: AccessClaims) -> bool:
    """Client-credentials tokens are issued with the client as their subject."""
    return claims.subject == claims.client_id


def throttle_client(runtime: Runtime, claims: AccessClaims) -> None:
    """Count a machine client's request in its own transaction (failed requests count too)."""
    if is_client_token(claims):
        hit_on_its_own(
            runtime.engine,
            key=f"client:{claims.client_id}",
            limit=runtime.settings.client_rate_limit_per_minute,
        )


# Built once: the account, and whether this token is on the revocation list.
_USER_AND_REVOCATION = select(
    User, exists().where(col(RevokedToken.jti) == bindparam("jti"))
).where(col(User.id) == bindparam("user_id"))


def principal_for(session: Session, *, claims: AccessClaims) -> Principal:
    """The caller behind a verified token; revoked tokens and disabled accounts lose access.

    Read from the database on every request (the shared truth across processes), in one
    round trip for a user: the account and whether the token was revoked.
    """
    if is_client_token(claims):
        if _revoked(session, claims.jti):
            raise _revoked_error()
        client = clients.client_by_id(session, claims.client_id)
        if client is None or not client.is_active:
            raise InvalidToken(Msg("Klien tidak aktif", "The client is not active"))
        return Principal(user=None, client_id=client.client_id, scopes=claims.scopes, client=client)
    row = None
    try:
        user_id = uuid.UUID(claims.subject)
    except ValueError:
        user_id = None
    if user_id is not None:
        row = session.execute(_USER_AND_REVOCATION, {"user_id": user_id, "jti": claims.jti}).first()
    if (row is not None and row[1]) or (row is None and _revoked(session, claims.jti)):
        raise _revoked_error()
    user = row[0] if row is not None else None
    if user is None or not user.is_active:
        raise InvalidToken(Msg("Akun tidak aktif", "The account is not active"))
    return Principal(user=user, client_id=claims.client_id, scopes=claims.scopes)


def _revoked(session: Session, jti: str) -> bool:
    return session.get(RevokedToken, jti) is not None


def _revoked_error() -> InvalidToken:
    return InvalidToken(Msg("Token telah dicabut", "The token was revoked"))
