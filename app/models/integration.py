"""Machine clients, their webhook subscriptions, the transactional outbox, revoked tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.models.base import new_uuid, utcnow


class OAuthClient(SQLModel, table=True):
    """Another government system calling the API with client credentials."""

    __tablename__ = "oauth_clients"

    id: uuid.UUID = Field(default_factory=new_uuid, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    secret_hash: str = Field(max_length=255)  # argon2id; the secret is shown once
    scopes: str = Field(max_length=500)  # space-separated
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    # Apps acting for residents (authorization code grant); systems keep the defaults.
    grant_types: str = Field(default="client_credentials", max_length=200)  # space-separated
    redirect_uris: str = Field(default="", max_length=4000)  # newline-separated, matched exactly
    public: bool = Field(default=False)  # no secret (a native or browser app); PKCE is its proof
    operator: str = Field(default="", max_length=200)  # who runs the app, named on the consent
    logo_url: str | None = Field(default=None, max_length=500)
    nik_approved: bool = Field(default=False)  # an admin let this app ask for the NIK
    # Apps of one sector share pairwise subject identifiers (OpenID Connect Core 8.1).
    sector: str | None = Field(default=None, max_length=200)
    # A system's Open311 api_key, as its SHA-256 (256 random bits, shown once; app.oauth.open311).
    open311_key_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)

    @property
    def redirect_uri_list(self) -> list[str]:
        return [uri for uri in self.redirect_uris.split("\n") if uri]

    @property
    def grant_type_set(self) -> frozenset[str]:
        return frozenset(self.grant_types.split())


class AuthorizationCode(SQLModel, table=True):
    """An authorization code (RFC 6749 4.1), stored as its SHA-256: single use, short-lived."""

    __tablename__ = "authorization_codes"

    code_hash: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    redirect_uri: str = Field(max_length=2000)
    scope: str = Field(max_length=500)
    code_challenge: str = Field(max_length=128)  # S256 only
    nonce: str | None = Field(default=None, max_length=500)
    auth_time: datetime
    # The refresh-token family its tokens will belong to: a replayed code revokes it.
    family_id: uuid.UUID = Field(default_factory=new_uuid)
    expires_at: datetime
    used_at: datetime | None = None


class OAuthGrant(SQLModel, table=True):
    """What a resident let an app do: the scopes consented to, until revoked."""

    __tablename__ = "oauth_grants"
    __table_args__ = (Index("ux_oauth_grants_user_client", "user_id", "client_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id")
    client_id: str = Field(max_length=64, index=True)
    scope: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RevokedToken(SQLModel, table=True):
    """Access tokens revoked before expiry (RFC 7009), by jti; rows may go once expired."""

    __tablename__ = "revoked_tokens"

    jti: str = Field(primary_key=True, max_length=64)
    expires_at: datetime
    revoked_at: datetime = Field(default_factory=utcnow)


class RevokedTokenFamily(SQLModel, table=True):
    """Refresh-token families ended by reuse: their access tokens (claim ``sid``) are refused
    at once; a row may go at ``expires_at``, when the last of those tokens has expired."""

    __tablename__ = "revoked_token_families"

    family_id: uuid.UUID = Field(primary_key=True)
    expires_at: datetime
    revoked_at: datetime = Field(default_factory=utcnow)


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscriptions"

    id: uuid.UUID = Field(default_factory=new_uuid, primary_key=True)
    client_id: uuid.UUID = Field(foreign_key="oauth_clients.id", index=True)
    url: str = Field(max_length=2000)
    # Patterns such as "application.*" or "certificate.issued".
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Standard Webhooks signing secret ("whsec_" + base64); the server must know it to sign.
    secret: str = Field(max_length=100)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """One delivery to make (a webhook call or an e-mail), written with the change it reports."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: uuid.UUID = Field(default_factory=new_uuid, primary_key=True)
    kind: str = Field(max_length=16)  # webhook | email
    subscription_id: uuid.UUID | None = Field(
        default=None, foreign_key="webhook_subscriptions.id", index=True
    )
    recipient: str | None = Field(default=None, max_length=254)  # e-mail address
    event_type: str = Field(max_length=48)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending | sent | dead
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    # A worker's lease: a message whose worker died becomes due again when the lease ends.
    locked_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
