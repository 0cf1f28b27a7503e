"""A resident's grants to apps: the connected-apps list, and disconnecting an app, which ends
every token the app holds for the resident at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.accounts.principal import Principal
from app.db import Session
from app.errors import Msg, NotFound
from app.models.base import utcnow
from app.oauth import repository
from app.oauth.principals import forget_recent
from app.oauth.tokens import MAX_LEEWAY_SECONDS


@dataclass(frozen=True)
class ConnectedApp:
    client_id: str
    name: str
    operator: str
    logo_url: str | None
    scopes: tuple[str, ...]
    granted_at: datetime


def connected_apps(session: Session, *, principal: Principal) -> list[ConnectedApp]:
    """The apps the signed-in resident let act for them, and what each may do."""
    user = _resident(principal)
    return [
        ConnectedApp(
            client_id=client.client_id,
            name=client.name,
            operator=client.operator,
            logo_url=client.logo_url,
            scopes=tuple(sorted(grant.scope.split())),
            granted_at=grant.updated_at,
        )
        for grant, client in repository.grants_of_user(session, user.id)
    ]


def disconnect(
    session: Session, *, principal: Principal, client_id: str, access_token_ttl_seconds: int
) -> None:
    """Revoke the grant, the app's refresh tokens and (through their families) its access
    tokens for this resident, and its unused codes."""
    user = _resident(principal)
    if not repository.delete_grant(session, user_id=user.id, client_id=client_id):
        raise NotFound(Msg("Aplikasi tidak terhubung", "The app is not connected"))
    now = utcnow()
    access_until = now + timedelta(seconds=access_token_ttl_seconds + MAX_LEEWAY_SECONDS)
    for family_id in repository.families_of(session, user_id=user.id, client_id=client_id):
        repository.revoke_family(session, family_id=family_id, now=now, access_until=access_until)
    repository.burn_codes(session, user_id=user.id, client_id=client_id, now=now)
    # This process forgets at once; others within LOKET_READ_RECHECK_SECONDS on reads, and at
    # once on writes (which always ask the database).
    forget_recent()


def _resident(principal: Principal):
    if principal.user is None or principal.is_client:
        raise NotFound(Msg("Tidak ditemukan", "Not found"))
    return principal.user
