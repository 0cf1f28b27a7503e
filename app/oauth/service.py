"""OAuth grants: password (first-party apps) and authorization code (apps acting for residents,
app/oauth/authorize.py) with rotating refresh tokens, client credentials (other systems), and
RFC 7662 introspection / RFC 7009 revocation for authenticated clients."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts
from app.db import Session, committed_on_its_own
from app.errors import Msg
from app.models import OAuthClient, RefreshToken, RevokedToken, User
from app.models.base import utcnow
from app.oauth import authorize, clients, oidc, repository
from app.oauth.clients import APP_SCOPES, AUTHORIZATION_CODE, CLIENT_SCOPES, ClientCredentials
from app.oauth.principals import family_of, forget_recent
from app.oauth.tokens import MAX_LEEWAY_SECONDS, AccessClaims, InvalidToken

if TYPE_CHECKING:  # the process's objects; only their type is needed here
    from app.runtime import Runtime

FIRST_PARTY_CLIENT = "loket-app"
USER_SCOPES = frozenset(
    {
        "applications:read",
        "applications:write",
        "certificates:read",
        "complaints:read",
        "complaints:write",
        "profile",
    }
)


@dataclass
class OAuthError(Exception):
    """An RFC 6749 section 5.2 error: ``{"error": ..., "error_description": ...}``."""

    error: str
    description: Msg
    status: int = 400
    headers: dict[str, str] | None = None


class FamilyRevoked(OAuthError):
    """The refusal of a reused refresh token, whose family has just been revoked."""


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    refresh_token: str | None
    scope: str
    # The password grant's device token (an extra member, RFC 6749 5.1): sent back in the
    # Loket-Device header of later password grants, it gets past the account-wide ceiling.
    device_token: str | None = None
    id_token: str | None = None  # OpenID Connect, for an app granted ``openid``

    def as_json(self) -> dict:
        body = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        if self.device_token:
            body["device_token"] = self.device_token
        if self.id_token:
            body["id_token"] = self.id_token
        return body


def password_grant(
    runtime: Runtime,
    *,
    username: str | None,
    password: str | None,
    scope: str | None,
    client_id: str | None,
    ip: str | None,
    device_token: str | None = None,
) -> TokenResponse:
    """Resource-owner password grant for Loket's own apps; ``device_token`` is the device
    token an earlier grant gave this app (header Loket-Device)."""
    if not runtime.settings.password_grant_enabled:
        raise OAuthError(
            "unsupported_grant_type",
            Msg(
                "Grant password tidak diaktifkan (LOKET_PASSWORD_GRANT)",
                "The password grant is not enabled (LOKET_PASSWORD_GRANT)",
            ),
        )
    _check_first_party(client_id)
    if not username or not password:
        raise OAuthError(
            "invalid_request",
            Msg("username dan password wajib diisi", "username and password are required"),
        )
    scopes = _granted_scopes(scope)
    # The outcome (failure counted, or success) must be committed even when we refuse, so the
    # refusal is raised only after the transaction has closed.
    with committed_on_its_own(runtime.engine) as session:
        signed_in = accounts.authenticate(
            session,
            passwords=runtime.passwords,
            settings=runtime.settings,
            email=username,
            password=password,
            ip=ip,
            device_token=device_token,
        )
        response = None
        if signed_in is not None:
            issued = _issue(session, runtime, signed_in.user, scopes, uuid.uuid4())
            response = replace(issued, device_token=signed_in.device_token)
    if response is None:
        raise OAuthError(
            "invalid_grant", Msg("E-mail atau kata sandi salah", "Wrong e-mail or password")
        )
    return response


def refresh_grant(
    runtime: Runtime,
    *,
    refresh_token: str | None,
    scope: str | None,
    client_id: str | None,
    credentials: ClientCredentials | None = None,
) -> TokenResponse:
    """Rotate a refresh token; presenting an already-rotated one revokes its whole family.

    A token is only ever rotated for the client it was issued to: Loket's own app (no
    authentication), or an app acting for a resident (its secret, or its id if public)."""
    if not refresh_token:
        raise OAuthError(
            "invalid_request", Msg("refresh_token wajib diisi", "refresh_token is required")
        )
    # A reused token's family is revoked although the grant is refused: the refusal is raised
    # only after the revocation has committed.
    with committed_on_its_own(runtime.engine) as session:
        presenter = _presenting_client(session, runtime, credentials, client_id)
        outcome = _rotate(session, runtime, _hash(refresh_token), scope, presenter)
    if isinstance(outcome, FamilyRevoked):
        # Committed, so this process's reads stop trusting what they learnt of the family's
        # access tokens now. Other processes see the revocation within
        # LOKET_READ_RECHECK_SECONDS on reads, and at once on writes (which always ask).
        forget_recent()
    if isinstance(outcome, OAuthError):
        raise outcome
    return outcome


def _presenting_client(
    session: Session,
    runtime: Runtime,
    credentials: ClientCredentials | None,
    client_id: str | None,
) -> str:
    """Which client asks to refresh: an authenticated one, a public app naming itself, or
    Loket's own app (no client id)."""
    if credentials is not None:
        return _authenticated_client(session, runtime, credentials).client_id
    if client_id in (None, "", FIRST_PARTY_CLIENT):
        return FIRST_PARTY_CLIENT
    client = repository.client_by_id(session, client_id or "")
    if client is None or not client.is_active or not client.public:
        _check_first_party(client_id)  # the same invalid_client answer as before
    return client_id or ""


def _rotate(
    session: Session, runtime: Runtime, token_hash: str, scope: str | None, presenter: str
) -> TokenResponse | OAuthError:
    refused = OAuthError(
        "invalid_grant", Msg("Refresh token tidak berlaku", "The refresh token is not valid")
    )
    row = repository.refresh_token_by_hash(session, token_hash)
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return refused
    if row.client_id != presenter:  # RFC 6749 6: bound to the client it was issued to
        return refused
    assert row.id is not None  # read from the database
    if not repository.claim_rotation(session, token_id=row.id, now=now):
        # Reuse of a rotated token: assume it was stolen, and end the thief's access tokens
        # along with the refresh tokens (the last of them expires within the access lifetime).
        _revoke_family(session, runtime, row.family_id)
        return FamilyRevoked(refused.error, refused.description)
    user = accounts_repo.user_by_id(session, row.user_id)
    if user is None or not user.is_active:
        return refused
    granted = frozenset(row.scope.split())
    scopes = _granted_scopes(scope, allowed=granted) if scope else granted
    return _issue(session, runtime, user, scopes, row.family_id, client_id=row.client_id)


def _issue(
    session: Session,
    runtime: Runtime,
    user: User,
    scopes: frozenset[str],
    family_id: uuid.UUID,
    *,
    client_id: str = FIRST_PARTY_CLIENT,
) -> TokenResponse:
    access_token, expires_in = runtime.tokens.issue_access_token(
        subject=str(user.id),
        client_id=client_id,
        scopes=scopes,
        session_id=str(family_id),
    )
    refresh_token = secrets.token_urlsafe(32)
    repository.insert_refresh_token(
        session,
        RefreshToken(
            token_hash=_hash(refresh_token),
            family_id=family_id,
            user_id=user.id,
            client_id=client_id,
            scope=" ".join(sorted(scopes)),
            expires_at=utcnow() + timedelta(days=runtime.settings.refresh_token_ttl_days),
        ),
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


@dataclass(frozen=True)
class TokenRequest:
    """The token endpoint's form (RFC 6749 section 4), checked for size and characters."""

    grant_type: str | None
    username: str | None = None
    password: str | None = None
    scope: str | None = None
    client_id: str | None = None
    refresh_token: str | None = None
    code: str | None = None
    redirect_uri: str | None = None
    code_verifier: str | None = None


def issue_token(
    session: Session,
    runtime: Runtime,
    *,
    request: TokenRequest,
    credentials: ClientCredentials | None,
    ip: str | None,
    device_token: str | None = None,
) -> TokenResponse:
    """The token endpoint: one of the grants Loket offers, or the RFC's error."""
    if not request.grant_type:
        raise OAuthError("invalid_request", Msg("grant_type wajib diisi", "grant_type is required"))
    if request.grant_type == "client_credentials":
        return client_credentials_grant(
            session, runtime, credentials=credentials, scope=request.scope
        )
    if request.grant_type == "password":
        return password_grant(
            runtime,
            username=request.username,
            password=request.password,
            scope=request.scope,
            client_id=request.client_id,
            ip=ip,
            device_token=device_token,
        )
    if request.grant_type == "refresh_token":
        return refresh_grant(
            runtime,
            refresh_token=request.refresh_token,
            scope=request.scope,
            client_id=request.client_id,
            credentials=credentials,
        )
    if request.grant_type == AUTHORIZATION_CODE:
        return authorization_code_grant(runtime, request=request, credentials=credentials)
    raise OAuthError(
        "unsupported_grant_type", Msg("grant_type tidak didukung", "Unsupported grant_type")
    )


def authorization_code_grant(
    runtime: Runtime, *, request: TokenRequest, credentials: ClientCredentials | None
) -> TokenResponse:
    """Exchange a code (RFC 6749 4.1.3, PKCE RFC 7636 4.5) for tokens of a new refresh family.

    A replayed code revokes the family its first exchange started, committed before the
    refusal is raised (as a reused refresh token does)."""
    if not request.code:
        raise OAuthError("invalid_request", Msg("code wajib diisi", "code is required"))
    with committed_on_its_own(runtime.engine) as session:
        client = _app_client(session, runtime, credentials, request.client_id)
        try:
            redeemed = authorize.redeem(
                session,
                code=request.code,
                client_id=client.client_id,
                redirect_uri=request.redirect_uri,
                code_verifier=request.code_verifier,
            )
        except authorize.CodeRefused as refused:
            outcome: TokenResponse | OAuthError = OAuthError("invalid_grant", refused.description)
            if refused.replayed_family is not None:
                _revoke_family(session, runtime, refused.replayed_family)
                outcome = FamilyRevoked("invalid_grant", refused.description)
        else:
            outcome = _tokens_for_code(session, runtime, client, redeemed)
    if isinstance(outcome, FamilyRevoked):
        forget_recent()
    if isinstance(outcome, OAuthError):
        raise outcome
    return outcome


def _tokens_for_code(
    session: Session, runtime: Runtime, client: OAuthClient, redeemed: authorize.RedeemedCode
) -> TokenResponse | OAuthError:
    user = accounts_repo.user_by_id(session, redeemed.user_id)
    if user is None or not user.is_active:
        return OAuthError(
            "invalid_grant", Msg("Akun tidak aktif", "The resident's account is not active")
        )
    issued = _issue(
        session, runtime, user, redeemed.scopes, redeemed.family_id, client_id=client.client_id
    )
    if "openid" not in redeemed.scopes:
        return issued
    subject = oidc.pairwise_subject(
        oidc.pairwise_secret(runtime.settings.keys_dir), client=client, user_id=user.id
    )
    claims = oidc.id_token_claims(
        subject=subject,
        client=client,
        nonce=redeemed.nonce,
        auth_time=redeemed.auth_time,
        user=user,
        scopes=redeemed.scopes,
    )
    id_token = runtime.tokens.issue_id_token(audience=client.client_id, claims=claims)
    return replace(issued, id_token=id_token)


def _app_client(
    session: Session,
    runtime: Runtime,
    credentials: ClientCredentials | None,
    client_id: str | None,
) -> OAuthClient:
    """The app redeeming a code: a confidential app authenticates, a public one names itself."""
    if credentials is not None:
        client = _authenticated_client(session, runtime, credentials)
    else:
        found = repository.client_by_id(session, client_id) if client_id else None
        if found is None or not found.is_active or not found.public:
            raise OAuthError(
                "invalid_client",
                Msg("Autentikasi klien diperlukan", "Client authentication is required"),
                status=401,
                headers={"WWW-Authenticate": 'Basic realm="loket"'},
            )
        client = found
    if AUTHORIZATION_CODE not in client.grant_type_set:
        raise OAuthError(
            "unauthorized_client",
            Msg("Klien ini tidak boleh memakai grant ini", "This client may not use this grant"),
        )
    return client


def _revoke_family(session: Session, runtime: Runtime, family_id: uuid.UUID) -> None:
    now = utcnow()
    access_until = now + timedelta(
        seconds=runtime.settings.access_token_ttl_seconds + MAX_LEEWAY_SECONDS
    )
    repository.revoke_family(session, family_id=family_id, now=now, access_until=access_until)


def client_credentials_grant(
    session: Session,
    runtime: Runtime,
    *,
    credentials: ClientCredentials | None,
    scope: str | None,
) -> TokenResponse:
    """Client credentials (RFC 6749 4.4): a token limited to the client's granted scopes."""
    client = _authenticated_client(session, runtime, credentials)
    if "client_credentials" not in client.grant_type_set:
        # An app acting for residents holds their data only through their consent.
        raise OAuthError(
            "unauthorized_client",
            Msg("Klien ini tidak boleh memakai grant ini", "This client may not use this grant"),
        )
    granted = frozenset(client.scopes.split())
    scopes = _granted_scopes(scope, allowed=granted)
    token, expires_in = runtime.tokens.issue_access_token(
        subject=client.client_id, client_id=client.client_id, scopes=scopes
    )
    return TokenResponse(token, expires_in, None, " ".join(sorted(scopes)))


def _authenticated_client(
    session: Session, runtime: Runtime, credentials: ClientCredentials | None
) -> OAuthClient:
    if credentials is None:
        raise OAuthError(
            "invalid_client",
            Msg("Autentikasi klien diperlukan", "Client authentication is required"),
            status=401,
            headers={"WWW-Authenticate": 'Basic realm="loket"'},
        )
    client = clients.authenticate(session, passwords=runtime.passwords, credentials=credentials)
    if client is None:
        raise OAuthError(
            "invalid_client",
            Msg(
                "Klien tidak dikenal, nonaktif, atau rahasia salah",
                "Unknown or disabled client, or wrong secret",
            ),
            status=401,
            headers={"WWW-Authenticate": 'Basic realm="loket"'},
        )
    return client


def introspect(
    session: Session,
    runtime: Runtime,
    *,
    credentials: ClientCredentials | None,
    token: str | None,
) -> dict:
    """RFC 7662: anything unknown, expired, revoked or foreign answers {"active": false}."""
    _authenticated_client(session, runtime, credentials)
    try:
        claims = runtime.tokens.verify_access_token(token or "")
        family_id = family_of(claims)
    except InvalidToken:
        return {"active": False}
    revoked = repository.is_revoked(session, claims.jti, family_id=family_id)
    if revoked or not _subject_active(session, claims):
        return {"active": False}
    return {
        "active": True,
        "token_type": "Bearer",
        "scope": " ".join(sorted(claims.scopes)),
        "client_id": claims.client_id,
        "sub": claims.subject,
        "exp": claims.expires_at,
        "iat": claims.issued_at,
        "iss": runtime.settings.issuer,
        "aud": runtime.settings.api_audience,
        "jti": claims.jti,
    }


def revoke(
    session: Session,
    runtime: Runtime,
    *,
    credentials: ClientCredentials | None,
    token: str | None,
) -> None:
    """RFC 7009: revoke the caller's own access or refresh token; unknown tokens are fine."""
    client = _authenticated_client(session, runtime, credentials)
    try:
        claims = runtime.tokens.verify_access_token(token or "")
    except InvalidToken:
        repository.revoke_refresh_token(
            session, token_hash=_hash(token or ""), client_id=client.client_id, now=utcnow()
        )
        return
    if claims.client_id == client.client_id and not repository.is_revoked(session, claims.jti):
        repository.insert_revoked_token(
            session,
            RevokedToken(jti=claims.jti, expires_at=datetime.fromtimestamp(claims.expires_at, UTC)),
        )
        forget_recent()


def _subject_active(session: Session, claims: AccessClaims) -> bool:
    if claims.subject == claims.client_id:
        client = repository.client_by_id(session, claims.client_id)
        return client is not None and client.is_active
    try:
        user = accounts_repo.user_by_id(session, uuid.UUID(claims.subject))
    except ValueError:
        return False
    return user is not None and user.is_active


def openid_configuration(runtime: Runtime) -> dict:
    """OpenID Connect Discovery 1.0: the RFC 8414 document plus what OIDC adds."""
    issuer = runtime.settings.issuer
    return {
        **server_metadata(runtime),
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "acr_values_supported": [oidc.ACR_PASSWORD],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "azp",
            "name",
            "email",
            "phone_number",
            "nik",
        ],
        "prompt_values_supported": ["none", "login", "consent"],
    }


def server_metadata(runtime: Runtime) -> dict:
    """RFC 8414 authorization server metadata."""
    issuer = runtime.settings.issuer
    grants = ["authorization_code", "client_credentials", "password", "refresh_token"]
    if not runtime.settings.password_grant_enabled:
        grants.remove("password")
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "grant_types_supported": grants,
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": sorted(USER_SCOPES | CLIENT_SCOPES | APP_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
    }
