"""The authorization code grant with PKCE (RFC 6749 4.1, RFC 7636 S256 only, RFC 9207 ``iss``)
for apps that act for residents, as the OAuth security BCP (RFC 9700) asks.

The request is checked in two stages, as RFC 6749 4.1.2.1 orders: while the client or the
redirect URI is in doubt, nothing redirects (an error page instead: no open redirect); once
both are known to be registered, every other error goes back to the app on its redirect URI.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from app.db import Session
from app.errors import Msg
from app.models import AuthorizationCode, OAuthClient, User
from app.models.base import utcnow
from app.oauth import repository
from app.oauth.clients import AUTHORIZATION_CODE

CODE_LIFETIME = timedelta(seconds=60)  # FAPI 2.0 allows at most 60 s
_PKCE_VALUE = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 4.1
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of 32 bytes, unpadded
MAX_STATE_LENGTH = 1000
MAX_NONCE_LENGTH = 500
# The request's parameters that a consent form carries back (hidden fields).
PARAMETERS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
)


@dataclass
class AuthorizePageError(Exception):
    """A request whose client or redirect URI cannot be trusted: shown as a page, never sent
    anywhere (RFC 6749 4.1.2.1)."""

    error: str
    description: Msg
    status: int = 400


@dataclass
class AuthorizeRedirectError(Exception):
    """An error for a registered redirect URI (RFC 6749 4.1.2.1), with ``state`` and ``iss``."""

    error: str
    description: Msg
    redirect_uri: str
    state: str | None


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request: the client, where to answer, what it asks."""

    client: OAuthClient
    redirect_uri: str
    scopes: frozenset[str]
    state: str | None
    code_challenge: str
    nonce: str | None
    prompt: str | None

    def hidden_fields(self) -> dict[str, str]:
        """The request again, for the consent form (checked again when it comes back)."""
        fields = {
            "client_id": self.client.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(sorted(self.scopes)),
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }
        for name, value in (("state", self.state), ("nonce", self.nonce)):
            if value is not None:
                fields[name] = value
        return fields

    def error(self, error: str, description: Msg) -> AuthorizeRedirectError:
        return AuthorizeRedirectError(error, description, self.redirect_uri, self.state)


def check_request(session: Session, *, params: dict[str, str]) -> AuthorizationRequest:
    """Validate an authorization request (client and redirect URI first, then the rest)."""
    client, redirect_uri = _client_and_redirect(session, params)
    state = params.get("state")

    def refuse(error: str, id_text: str, en_text: str) -> AuthorizeRedirectError:
        return AuthorizeRedirectError(error, Msg(id_text, en_text), redirect_uri, state)

    if state is not None and len(state) > MAX_STATE_LENGTH:
        raise refuse("invalid_request", "state terlalu panjang", "state is too long")
    if params.get("response_type") != "code":
        raise refuse(
            "unsupported_response_type",
            "Hanya response_type=code yang didukung",
            "Only response_type=code is supported",
        )
    challenge = params.get("code_challenge")
    if not challenge:
        raise refuse(
            "invalid_request",
            "code_challenge (PKCE) wajib diisi",
            "code_challenge (PKCE) is required",
        )
    if params.get("code_challenge_method") != "S256":
        raise refuse(
            "invalid_request",
            "Hanya code_challenge_method=S256 yang didukung",
            "Only code_challenge_method=S256 is supported",
        )
    if not _S256_CHALLENGE.fullmatch(challenge):
        raise refuse("invalid_request", "code_challenge tidak valid", "code_challenge is malformed")
    nonce = params.get("nonce")
    if nonce is not None and (not nonce or len(nonce) > MAX_NONCE_LENGTH):
        raise refuse("invalid_request", "nonce tidak valid", "nonce is malformed")
    prompt = params.get("prompt")
    if prompt not in (None, "none", "login", "consent"):
        raise refuse("invalid_request", "prompt tidak didukung", "Unsupported prompt value")
    scopes = _requested_scopes(client, params.get("scope"), refuse)
    return AuthorizationRequest(client, redirect_uri, scopes, state, challenge, nonce, prompt)


def _client_and_redirect(session: Session, params: dict[str, str]) -> tuple[OAuthClient, str]:
    client_id = params.get("client_id")
    client = repository.client_by_id(session, client_id) if client_id else None
    if client is None or not client.is_active or AUTHORIZATION_CODE not in client.grant_type_set:
        raise AuthorizePageError(
            "invalid_client",
            Msg(
                "Aplikasi tidak dikenal atau tidak aktif",
                "The app is unknown or not active",
            ),
        )
    registered = client.redirect_uri_list
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None and len(registered) == 1:
        return client, registered[0]
    # Exact string comparison: no prefix, no normalisation (RFC 9700 2.1).
    if redirect_uri is None or redirect_uri not in registered:
        raise AuthorizePageError(
            "invalid_request",
            Msg(
                "Alamat pengalihan tidak terdaftar untuk aplikasi ini",
                "The redirect URI is not registered for this app",
            ),
        )
    return client, redirect_uri


def _requested_scopes(client: OAuthClient, raw: str | None, refuse) -> frozenset[str]:
    scopes = frozenset((raw or "").split())
    allowed = frozenset(client.scopes.split())
    if not client.nik_approved:
        allowed -= {"nik"}
    if not scopes:
        raise refuse("invalid_scope", "scope wajib diisi", "scope is required")
    if not scopes <= allowed:
        raise refuse(
            "invalid_scope",
            "Aplikasi ini tidak boleh meminta cakupan tersebut",
            "This app may not ask for the requested scope",
        )
    return scopes


def existing_grant(session: Session, *, user: User, client: OAuthClient) -> frozenset[str]:
    """The scopes the resident already let this app have (empty when none)."""
    grant = repository.grant_of(session, user_id=user.id, client_id=client.client_id)
    return frozenset(grant.scope.split()) if grant else frozenset()


def approve(
    session: Session,
    *,
    request: AuthorizationRequest,
    user: User,
    scopes: frozenset[str],
    auth_time: datetime,
    issuer: str,
) -> str:
    """Record the resident's consent to ``scopes`` and issue a code; returns the redirect URL."""
    granted = scopes & request.scopes
    if not granted:
        raise request.error(
            "access_denied", Msg("Permintaan ditolak oleh warga", "The resident refused")
        )
    repository.save_grant(
        session,
        user_id=user.id,
        client_id=request.client.client_id,
        scope=" ".join(sorted(granted | existing_grant(session, user=user, client=request.client))),
        now=utcnow(),
    )
    return issue_code(
        session, request=request, user=user, scopes=granted, auth_time=auth_time, issuer=issuer
    )


def issue_code(
    session: Session,
    *,
    request: AuthorizationRequest,
    user: User,
    scopes: frozenset[str],
    auth_time: datetime,
    issuer: str,
) -> str:
    """A fresh single-use code for ``scopes``; returns the redirect URL that carries it."""
    code = secrets.token_urlsafe(32)
    now = utcnow()
    repository.insert_code(
        session,
        AuthorizationCode(
            code_hash=hash_code(code),
            client_id=request.client.client_id,
            user_id=user.id,
            redirect_uri=request.redirect_uri,
            scope=" ".join(sorted(scopes)),
            code_challenge=request.code_challenge,
            nonce=request.nonce,
            auth_time=auth_time,
            family_id=uuid.uuid4(),
            expires_at=now + CODE_LIFETIME,
        ),
    )
    return response_url(request.redirect_uri, {"code": code, "state": request.state}, issuer=issuer)


def response_url(redirect_uri: str, values: dict[str, str | None], *, issuer: str = "") -> str:
    """``redirect_uri`` with the response's parameters added to its query (RFC 6749 4.1.2)."""
    query = urlencode({name: value for name, value in values.items() if value is not None})
    if issuer:
        query += "&" + urlencode({"iss": issuer})
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"


def error_url(error: AuthorizeRedirectError, *, issuer: str, lang: str) -> str:
    return response_url(
        error.redirect_uri,
        {
            "error": error.error,
            "error_description": error.description.in_lang(lang),
            "state": error.state,
        },
        issuer=issuer,
    )


# The token endpoint's side


@dataclass(frozen=True)
class RedeemedCode:
    user_id: uuid.UUID
    scopes: frozenset[str]
    family_id: uuid.UUID
    nonce: str | None
    auth_time: datetime


@dataclass
class CodeRefused(Exception):
    """invalid_grant (RFC 6749 5.2); ``replayed_family`` when a used code came back."""

    description: Msg
    replayed_family: uuid.UUID | None = None


def redeem(
    session: Session,
    *,
    code: str,
    client_id: str,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> RedeemedCode:
    """Use up a code: it must be this client's, unexpired, unused, for this redirect URI, and
    the verifier must hash to its challenge (RFC 7636 4.6)."""
    row = repository.code_by_hash(session, hash_code(code))
    now = utcnow()
    if row is None or row.client_id != client_id:
        raise CodeRefused(
            Msg("Kode otorisasi tidak berlaku", "The authorization code is not valid")
        )
    if not repository.claim_code(session, code_hash=row.code_hash, now=now):
        # RFC 6749 4.1.2: a code used twice revokes what was issued from it.
        raise CodeRefused(
            Msg("Kode otorisasi sudah dipakai", "The authorization code was already used"),
            replayed_family=row.family_id,
        )
    if row.expires_at <= now:
        raise CodeRefused(Msg("Kode otorisasi kedaluwarsa", "The authorization code expired"))
    if redirect_uri != row.redirect_uri:
        raise CodeRefused(
            Msg(
                "redirect_uri tidak sama dengan permintaan", "redirect_uri differs from the request"
            )
        )
    if not code_verifier or not _PKCE_VALUE.fullmatch(code_verifier):
        raise CodeRefused(Msg("code_verifier tidak valid", "code_verifier missing or malformed"))
    if not hmac.compare_digest(s256(code_verifier), row.code_challenge):
        raise CodeRefused(Msg("code_verifier salah", "code_verifier does not match"))
    return RedeemedCode(
        row.user_id, frozenset(row.scope.split()), row.family_id, row.nonce, row.auth_time
    )


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
