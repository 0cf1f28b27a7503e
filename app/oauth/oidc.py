"""OpenID Connect for apps acting for residents: pairwise subjects, ID token claims, userinfo.

Subjects are pairwise (OIDC Core 8.1): ``sub`` is an HMAC of the app's sector and the user's
id under a server secret, so two apps of different sectors cannot join their users by ``sub``.
The secret is a file beside the signing keys (created on first use, shared by every process
that shares the keys directory); losing it changes every app's ``sub``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from app.accounts.principal import Principal
from app.db import Session
from app.errors import Forbidden, Msg
from app.fsutil import exclusive_lock, fsync_path
from app.models import OAuthClient, User
from app.privacy import access as privacy

# Authentication context: a password sign-in at the portal (the only kind Loket has today).
ACR_PASSWORD = "urn:loket:acr:password"
_SECRET_BYTES = 32


@lru_cache(maxsize=8)
def pairwise_secret(keys_dir: Path) -> bytes:
    """The server's pairwise-subject secret, created once (under a lock) if missing."""
    path = keys_dir / "pairwise-subject.key"
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(keys_dir / ".pairwise.lock"):
            if not path.exists():
                temporary = path.with_suffix(".tmp")
                temporary.write_bytes(secrets.token_bytes(_SECRET_BYTES))
                os.chmod(temporary, 0o600)
                fsync_path(temporary)
                temporary.replace(path)
    secret = path.read_bytes()
    if len(secret) < _SECRET_BYTES:
        raise RuntimeError(f"{path} is shorter than {_SECRET_BYTES} bytes")
    return secret


def sector_of(client: OAuthClient) -> str:
    """The app's sector: set by the admin, else the host of its first redirect URI (8.1)."""
    if client.sector:
        return client.sector
    uris = client.redirect_uri_list
    host = urlsplit(uris[0]).hostname if uris else None
    return host or urlsplit(uris[0]).scheme if uris else client.client_id


def pairwise_subject(secret: bytes, *, client: OAuthClient, user_id: uuid.UUID) -> str:
    message = f"{sector_of(client)}\n{user_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def id_token_claims(
    *,
    subject: str,
    client: OAuthClient,
    nonce: str | None,
    auth_time: datetime,
    user: User,
    scopes: frozenset[str],
) -> dict:
    """The ID token's own claims (iss, aud, iat, exp are added where it is signed)."""
    claims: dict = {
        "sub": subject,
        "azp": client.client_id,
        "auth_time": int(auth_time.timestamp()),
        "acr": ACR_PASSWORD,
        **user_claims(user, scopes=scopes, client=client),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    return claims


def user_claims(user: User, *, scopes: frozenset[str], client: OAuthClient) -> dict:
    """Standard claims per scope (OIDC Core 5.4); the NIK only with an approved ``nik`` scope."""
    claims: dict = {}
    if "profile" in scopes:
        claims["name"] = user.full_name
    if "email" in scopes:
        claims["email"] = user.email
    if "phone" in scopes and user.phone:
        claims["phone_number"] = user.phone
    if "nik" in scopes and client.nik_approved and user.nik:
        claims["nik"] = user.nik
    return claims


def userinfo(session: Session, *, principal: Principal, secret: bytes) -> dict:
    """/oauth/userinfo for an app's token with the ``openid`` scope."""
    if principal.app is None or principal.user is None:
        raise Forbidden(
            Msg("Hanya untuk token aplikasi warga", "Only for an app's token for a resident"),
            headers={"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="openid"'},
        )
    principal.require_scope("openid")
    subject = pairwise_subject(secret, client=principal.app, user_id=principal.user.id)
    claims = user_claims(principal.user, scopes=principal.scopes, client=principal.app)
    if claims:
        privacy.record_access(
            session,
            principal=principal,
            subject_user_id=principal.user.id,
            what=privacy.USERINFO,
            fields=claims.keys(),
        )
    return {"sub": subject, **claims}
