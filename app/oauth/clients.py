"""Machine clients (other government systems): registration and client authentication."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_plus

from app.accounts.passwords import PasswordHasher
from app.db import Session
from app.errors import Msg, NotFound, invalid
from app.models import OAuthClient
from app.oauth import repository

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


@dataclass(frozen=True)
class NewClient:
    client: OAuthClient
    secret: str  # shown once; only its hash is stored


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str


def create_client(
    session: Session, *, passwords: PasswordHasher, name: str, scopes: Iterable[str]
) -> NewClient:
    """Register a client; the secret is returned once and stored as an argon2id hash."""
    requested = frozenset(scopes)
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
    repository.insert_client(session, client)
    return NewClient(client, secret)


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
    return client


def authenticate(
    session: Session, *, passwords: PasswordHasher, credentials: ClientCredentials
) -> OAuthClient | None:
    """The active client these credentials prove, or None (same cost for unknown ids)."""
    client = repository.client_by_id(session, credentials.client_id)
    if client is None or not client.is_active:
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
