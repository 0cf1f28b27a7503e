"""Who a verified access token speaks for: a user (through Loket's app) or a machine client."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from app.accounts.principal import Principal
from app.db import Session
from app.errors import Msg
from app.oauth import repository
from app.oauth.tokens import AccessClaims, InvalidToken
from app.ratelimit import hit_on_its_own

if TYPE_CHECKING:  # the process's objects; only their type is needed here
    from app.runtime import Runtime


def is_client_token(claims: AccessClaims) -> bool:
    """Client-credentials tokens are issued with the client as their subject."""
    return claims.subject == claims.client_id


def family_of(claims: AccessClaims) -> uuid.UUID | None:
    """The refresh-token family a user's token belongs to (claim ``sid``), if it names one."""
    if claims.session_id is None:
        return None
    try:
        return uuid.UUID(claims.session_id)
    except ValueError:
        raise InvalidToken() from None  # we only ever issue family ids


def throttle_client(runtime: Runtime, claims: AccessClaims) -> None:
    """Count a machine client's request in its own transaction (failed requests count too)."""
    if is_client_token(claims):
        hit_on_its_own(
            runtime.engine,
            key=f"client:{claims.client_id}",
            limit=runtime.settings.client_rate_limit_per_minute,
        )


# What this process learnt of a user's token in the last few seconds: (until, principal), by
# (database, token id). Only reads use it, so a revoked token or token family, a disabled
# account or a changed role take effect on reads within ``recheck_seconds``
# (LOKET_READ_RECHECK_SECONDS) in every process, at once in the process that made the change
# (it calls forget_recent), and on writes always at once.
_RECENT: dict[tuple[str, str], tuple[float, Principal]] = {}
_RECENT_LIMIT = 10_000
_RECENT_LOCK = threading.Lock()


def principal_for(
    session: Session, *, claims: AccessClaims, recheck_seconds: float = 0.0
) -> Principal:
    """The caller behind a verified token; revoked tokens and disabled accounts lose access.

    Read from the database (the shared truth across processes), in one round trip for a user:
    the account and whether the token, or its refresh-token family, was revoked. With
    ``recheck_seconds`` (reads only), a user's principal read that recently is used again
    without a query.
    """
    if recheck_seconds <= 0 or is_client_token(claims):
        return _loaded(session, claims)
    key = (str(session.get_bind().engine.url), claims.jti)
    now = time.monotonic()
    recent = _RECENT.get(key)
    if recent is not None and recent[0] > now:
        known = recent[1]
        assert known.user is not None  # only users' principals are kept
        return replace(known, user=repository.attach_user(session, known.user))
    principal = _loaded(session, claims)
    with _RECENT_LOCK:
        if len(_RECENT) >= _RECENT_LIMIT:
            _RECENT.clear()
        _RECENT[key] = (now + recheck_seconds, principal)
    return principal


def forget_recent() -> None:
    """Drop what this process knows of recent callers (a token revoked, an account changed)."""
    with _RECENT_LOCK:
        _RECENT.clear()


def _loaded(session: Session, claims: AccessClaims) -> Principal:
    if is_client_token(claims):
        if repository.is_revoked(session, claims.jti):
            raise _revoked_error()
        client = repository.client_by_id(session, claims.client_id)
        if client is None or not client.is_active:
            raise InvalidToken(Msg("Klien tidak aktif", "The client is not active"))
        return Principal(user=None, client_id=client.client_id, scopes=claims.scopes, client=client)
    try:
        user_id = uuid.UUID(claims.subject)
    except ValueError:
        user_id = None
    family_id = family_of(claims)
    found = None
    if user_id is not None:
        found = repository.user_and_revocation(
            session, user_id=user_id, jti=claims.jti, family_id=family_id
        )
    # Without an account the query cannot say whether the token was revoked: ask on its own.
    revoked = (
        found[1]
        if found is not None
        else repository.is_revoked(session, claims.jti, family_id=family_id)
    )
    if revoked:
        raise _revoked_error()
    user = found[0] if found is not None else None
    if user is None or not user.is_active:
        raise InvalidToken(Msg("Akun tidak aktif", "The account is not active"))
    app = None
    if claims.client_id not in _FIRST_PARTY:
        # An app acting for the user: it loses access the moment an admin disables it.
        app = repository.client_by_id(session, claims.client_id)
        if app is None or not app.is_active:
            raise InvalidToken(Msg("Aplikasi tidak aktif", "The app is not active"))
    return Principal(user=user, client_id=claims.client_id, scopes=claims.scopes, app=app)


# Loket's own app (the password grant's tokens); every other client of a user's token is an app.
_FIRST_PARTY = frozenset({"loket-app"})


def _revoked_error() -> InvalidToken:
    return InvalidToken(Msg("Token telah dicabut", "The token was revoked"))
