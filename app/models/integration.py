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
