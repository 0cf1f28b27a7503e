"""Who is calling: a user (through a first-party app) or, later, an OAuth client."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import Forbidden, Msg
from app.models import OAuthClient, User

CITIZEN, OFFICER, ADMIN = "citizen", "officer", "admin"
OFFICER_ROLES = frozenset({"verifier", "approver"})


@dataclass(frozen=True)
class Principal:
    user: User | None
    client_id: str
    scopes: frozenset[str]
    client: OAuthClient | None = None  # set for machine clients (client credentials)
    # Set when an app acts for the user (a token from the authorization code grant): the user's
    # own access, limited further by ``scopes``, and named on every event it causes.
    app: OAuthClient | None = None

    @property
    def actor_id(self) -> str:
        return str(self.user.id) if self.user else self.client_id

    @property
    def actor_type(self) -> str:
        return "user" if self.user else "client"

    @property
    def event_details(self) -> dict[str, str]:
        """What an event records beyond the actor: the app that acted for the user, if any."""
        if self.app is None:
            return {}
        return {"via_app": self.app.client_id, "via_app_name": self.app.name}

    @property
    def is_client(self) -> bool:
        return self.client is not None

    @property
    def is_citizen(self) -> bool:
        return self.user is not None and self.user.role == CITIZEN

    @property
    def is_officer(self) -> bool:
        return self.user is not None and self.user.role == OFFICER

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == ADMIN

    @property
    def officer_roles(self) -> frozenset[str]:
        if self.user is None or not self.is_officer:
            return frozenset()
        return parse_officer_roles(self.user.officer_roles)

    def require_scope(self, scope: str) -> None:
        """Refuse a token that was not granted ``scope``."""
        if scope not in self.scopes:
            raise Forbidden(
                Msg(
                    f"Token tidak memiliki cakupan '{scope}'",
                    f"The token lacks the '{scope}' scope",
                ),
                headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
            )


def parse_officer_roles(raw: str) -> frozenset[str]:
    return frozenset(part for part in raw.split(",") if part in OFFICER_ROLES)
