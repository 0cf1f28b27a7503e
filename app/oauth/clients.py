"""Clients: machine clients (other government systems) and apps acting for residents;
registration and client authentication."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit

from app.accounts.passwords import PasswordHasher
from app.db import Session
from app.errors import Forbidden, Msg, NotFound, invalid
from app.models import OAuthClient
from app.oauth import repository
from app.oauth.principals import forget_recent

CLIENT_SCOPES = frozenset(
    {
        "applications:read",  # read applications and their timelines
        "applications:write",  # create and submit applications on behalf of a named resident
        "certificates:read",  # certificate metadata and PDFs
        "complaints:read",  # read complaints and their timelines
        "complaints:write",  # file complaints for residents (Open311 POST requests)
        "certificates:verify",  # verification endpoints with the client's own rate limit
        "webhooks:manage",  # subscribe to events
        "pii:read",  # NIK and contact details in responses
    }
)


# What an app may be let do for a resident (design section 13). Each is explained to the
# resident on the consent page (app/web/wording.py).
APP_SCOPES = frozenset(
    {
        "openid",
        "profile",
        "email",
        "phone",
        "nik",  # only for apps an admin approved for it
        "applications:read",
        "applications:write",
        "complaints:read",
        "complaints:write",
        "certificates:read",
    }
)
AUTHORIZATION_CODE = "authorization_code"
MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_LENGTH = 2000
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]", "localhost"})


@dataclass(frozen=True)
class NewClient:
    client: OAuthClient
    secret: str | None  # shown once; only its hash is stored (None for a public app)
    open311_key: str | None = None  # likewise: the Open311 api_key, if one was asked for


OPEN311_SCOPE = "complaints:write"  # what an Open311 api_key lets a system do: file reports


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str


def create_client(
    session: Session,
    *,
    passwords: PasswordHasher,
    name: str,
    scopes: Iterable[str],
    open311: bool = False,
) -> NewClient:
    """Register a client; the secret is returned once and stored as an argon2id hash. With
    ``open311`` it also gets an Open311 api_key (and the scope to file reports)."""
    requested = frozenset(scopes) | ({OPEN311_SCOPE} if open311 else frozenset())
    unknown = sorted(requested - CLIENT_SCOPES)
    if unknown or not requested:
        raise invalid(
            "scopes",
            f"Cakupan tidak dikenal atau kosong: {', '.join(unknown)}",
            f"Unknown or empty scopes: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(CLIENT_SCOPES))}",
        )
    if not name.strip() or len(name) > 200:
        raise invalid("name", "Nama klien wajib diisi (maks. 200)", "Name is required (max 200)")
    secret = secrets.token_urlsafe(32)
    client = OAuthClient(
        client_id=f"lkt_{secrets.token_hex(8)}",
        name=name.strip(),
        secret_hash=passwords.hash(secret),
        scopes=" ".join(sorted(requested)),
    )
    key = None
    if open311:
        key = f"o311_{secrets.token_urlsafe(32)}"
        client.open311_key_hash = hash_open311_key(key)
    repository.insert_client(session, client)
    return NewClient(client, secret, open311_key=key)


def hash_open311_key(key: str) -> str:
    """How an Open311 api_key is stored and looked up: 256 random bits need no slow hash."""
    return hashlib.sha256(key.encode()).hexdigest()


def open311_client(session: Session, api_key: str | None) -> OAuthClient:
    """The active system client an Open311 api_key belongs to; 403 without one."""
    if not api_key or not api_key.strip():
        raise Forbidden(Msg("Sertakan api_key", "An api_key is required to file a report"))
    key = api_key.strip()
    client = None
    if len(key) <= 100:
        client = repository.client_by_open311_key_hash(session, hash_open311_key(key))
    if client is None or not client.is_active:
        raise Forbidden(Msg("api_key tidak dikenal", "Unknown or disabled api_key"))
    return client


def create_app_client(
    session: Session,
    *,
    passwords: PasswordHasher,
    name: str,
    operator: str,
    redirect_uris: Iterable[str],
    scopes: Iterable[str],
    public: bool = False,
    logo_url: str | None = None,
    nik_approved: bool = False,
    sector: str | None = None,
) -> NewClient:
    """Register an app that acts for residents (authorization code grant with PKCE)."""
    requested = frozenset(scopes)
    unknown = sorted(requested - APP_SCOPES)
    if unknown or not requested:
        raise invalid(
            "scopes",
            f"Cakupan tidak dikenal atau kosong: {', '.join(unknown)}",
            f"Unknown or empty scopes: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(APP_SCOPES))}",
        )
    uris = [check_redirect_uri(uri) for uri in redirect_uris]
    if not uris or len(uris) > MAX_REDIRECT_URIS:
        raise invalid(
            "redirect_uris",
            f"Isi 1 sampai {MAX_REDIRECT_URIS} alamat pengalihan",
            f"Give 1 to {MAX_REDIRECT_URIS} redirect URIs",
        )
    name, operator = name.strip(), operator.strip()
    if not name or len(name) > 200:
        raise invalid("name", "Nama aplikasi wajib diisi (maks. 200)", "Name is required (max 200)")
    if not operator or len(operator) > 200:
        raise invalid(
            "operator", "Pengelola wajib diisi (maks. 200)", "Operator is required (max 200)"
        )
    if logo_url is not None and not _is_https(logo_url):
        raise invalid("logo_url", "Logo harus alamat https://", "The logo must be an https:// URL")
    secret = None if public else secrets.token_urlsafe(32)
    client = OAuthClient(
        client_id=f"lkt_{secrets.token_hex(8)}",
        name=name,
        # A public app has no secret: an empty hash that no secret verifies against.
        secret_hash=passwords.hash(secret) if secret else "",
        scopes=" ".join(sorted(requested)),
        grant_types=f"{AUTHORIZATION_CODE} refresh_token",
        redirect_uris="\n".join(dict.fromkeys(uris)),
        public=public,
        operator=operator,
        logo_url=logo_url,
        nik_approved=nik_approved,
        sector=sector,
    )
    repository.insert_client(session, client)
    return NewClient(client, secret)


def check_redirect_uri(uri: str) -> str:
    """A redirect URI an app may register (RFC 9700 2.1, RFC 8252 7): https, http on the
    loopback interface, or a private-use scheme with a dot; never a fragment or wildcard."""
    refused = invalid(
        "redirect_uris",
        f"Alamat pengalihan tidak diterima: {uri[:100]}",
        f"Redirect URI not accepted: {uri[:100]} "
        "(https://, http://127.0.0.1, or com.example.app:/)",
    )
    if not uri or len(uri) > MAX_REDIRECT_URI_LENGTH or any(ch.isspace() for ch in uri):
        raise refused
    if any(ord(ch) < 33 or ord(ch) > 126 for ch in uri) or "*" in uri or "#" in uri:
        raise refused
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise refused from None
    if parts.scheme == "https" and parts.hostname:
        return uri
    if parts.scheme == "http" and parts.netloc.rsplit(":", 1)[0] in _LOOPBACK_HOSTS:
        return uri
    if "." in parts.scheme and parts.scheme not in ("http", "https") and not parts.netloc:
        return uri
    raise refused


def _is_https(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and len(url) <= 500


def list_clients(session: Session) -> list[OAuthClient]:
    """Every client, oldest first (admin pages and the CLI)."""
    return repository.all_clients(session)


def set_active(session: Session, *, client_id: str, active: bool) -> OAuthClient:
    """Disable (or re-enable) a client; its tokens stop working at once."""
    client = repository.client_by_id(session, client_id)
    if client is None:
        raise NotFound(Msg("Klien tidak ditemukan", "Client not found"))
    client.is_active = active
    repository.save_client(session, client)
    forget_recent()  # this process's reads stop trusting the client's users' tokens at once
    return client


def authenticate(
    session: Session, *, passwords: PasswordHasher, credentials: ClientCredentials
) -> OAuthClient | None:
    """The active client these credentials prove, or None (same cost for unknown ids)."""
    client = repository.client_by_id(session, credentials.client_id)
    if client is None or not client.is_active or not client.secret_hash:
        passwords.burn_time(credentials.client_secret)
        return None
    if not passwords.verify(client.secret_hash, credentials.client_secret):
        return None
    return client


def credentials_from(
    *, authorization: str | None, form_id: str | None, form_secret: str | None
) -> ClientCredentials | None:
    """client_secret_basic (RFC 6749 2.3.1: form-encoded inside Basic) or client_secret_post."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, sep, secret = decoded.partition(":")
        return ClientCredentials(unquote_plus(client_id), unquote_plus(secret)) if sep else None
    if form_id and form_secret:
        return ClientCredentials(form_id, form_secret)
    return None
