"""OAuth grants for users: password (first-party apps) and rotating refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.db import transaction
from app.errors import Msg
from app.models import RefreshToken, User
from app.models.base import utcnow
from app.runtime import Runtime

FIRST_PARTY_CLIENT = "loket-app"
USER_SCOPES = frozenset({"applications:read", "applications:write", "certificates:read", "profile"})


@dataclass
class OAuthError(Exception):
    """An RFC 6749 section 5.2 error: ``{"error": ..., "error_description": ...}``."""

    error: str
    description: Msg
    status: int = 400
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    refresh_token: str
    scope: str

    def as_json(self) -> dict:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
        }


def password_grant(
    runtime: Runtime,
    *,
    username: str | None,
    password: str | None,
    scope: str | None,
    client_id: str | None,
    ip: str | None,
) -> TokenResponse:
    """Resource-owner password grant for Loket's own apps."""
    _check_first_party(client_id)
    if not username or not password:
        raise OAuthError(
            "invalid_request",
            Msg("username dan password wajib diisi", "username and password are required"),
        )
    scopes = _granted_scopes(scope)
    # The outcome (failure counted, or success) must be committed even when we refuse, so the
    # refusal is raised only after the transaction has closed.
    with transaction(runtime.engine) as session:
        user = accounts.authenticate(
            session,
            passwords=runtime.passwords,
            settings=runtime.settings,
            email=username,
            password=password,
            ip=ip,
        )
        response = _issue(session, runtime, user, scopes, uuid.uuid4()) if user else None
    if response is None:
        raise OAuthError(
            "invalid_grant", Msg("E-mail atau kata sandi salah", "Wrong e-mail or password")
        )
    return response


def refresh_grant(
    runtime: Runtime, *, refresh_token: str | None, scope: str | None, client_id: str | None
) -> TokenResponse:
    """Rotate a refresh token; presenting an already-rotated one revokes its whole family."""
    _check_first_party(client_id)
    if not refresh_token:
        raise OAuthError(
            "invalid_request", Msg("refresh_token wajib diisi", "refresh_token is required")
        )
    with transaction(runtime.engine) as session:
        outcome = _rotate(session, runtime, _hash(refresh_token), scope)
    if isinstance(outcome, OAuthError):
        raise outcome
    return outcome


def _rotate(
    session: Session, runtime: Runtime, token_hash: str, scope: str | None
) -> TokenResponse | OAuthError:
    refused = OAuthError(
        "invalid_grant", Msg("Refresh token tidak berlaku", "The refresh token is not valid")
    )
    row = session.exec(select(RefreshToken).where(RefreshToken.token_hash == token_hash)).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return refused
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.rotated_at.is_(None))
        .values(rotated_at=now)
    ).rowcount
    if not claimed:  # reuse of a rotated token: assume it was stolen
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id)
            .values(revoked_at=now)
        )
        return refused
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return refused
    granted = frozenset(row.scope.split())
    scopes = _granted_scopes(scope, allowed=granted) if scope else granted
    return _issue(session, runtime, user, scopes, row.family_id)


def _issue(
    session: Session, runtime: Runtime, user: User, scopes: frozenset[str], family_id: uuid.UUID
) -> TokenResponse:
    access_token, expires_in = runtime.tokens.issue_access_token(
        subject=str(user.id), client_id=FIRST_PARTY_CLIENT, scopes=scopes
    )
    refresh_token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            token_hash=_hash(refresh_token),
            family_id=family_id,
            user_id=user.id,
            client_id=FIRST_PARTY_CLIENT,
            scope=" ".join(sorted(scopes)),
            expires_at=utcnow() + timedelta(days=runtime.settings.refresh_token_ttl_days),
        )
    )
    return TokenResponse(access_token, expires_in, refresh_token, " ".join(sorted(scopes)))


def _granted_scopes(
    requested: str | None, *, allowed: frozenset[str] = USER_SCOPES
) -> frozenset[str]:
    if not requested:
        return allowed
    scopes = frozenset(requested.split())
    if not scopes <= allowed:
        raise OAuthError(
            "invalid_scope",
            Msg("Cakupan yang diminta tidak tersedia", "The requested scope is not available"),
        )
    return scopes


def _check_first_party(client_id: str | None) -> None:
    if client_id not in (None, "", FIRST_PARTY_CLIENT):
        raise OAuthError(
            "invalid_client",
            Msg("Klien tidak dikenal", "Unknown client"),
            status=401,
            headers={"WWW-Authenticate": "Basic"},
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def server_metadata(runtime: Runtime) -> dict:
    """RFC 8414 authorization server metadata."""
    issuer = runtime.settings.issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "grant_types_supported": ["password", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": sorted(USER_SCOPES),
        "response_types_supported": [],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
    }
