"""Who is calling: a user (through a first-party app) or, later, an OAuth client."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import Forbidden, Msg
from app.models import OAuthClient, User

CITIZEN, OFFICER, ADMIN = "citizen", "officer", "admin"
# A head (kepala dinas/bidang) receives escalated cases and objections and may reassign.
OFFICER_ROLES = frozenset({"verifier", "approver", "head"})
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Principal:
    user: User | None
    client_id: str
    scopes: frozenset[str]
    client: OAuthClient | None = None  # set for machine clients (client credentials)
    # Set when an app acts for the user (a token from the authorization code grant): the user's
    # own access, limited further by ``scopes``, and named on every event it causes.
    app: OAuthClient | None = None
    # Nobody signed in: a resident filing a complaint without an account, where its category
    # allows it. Such a caller has no user, no client and only the scopes it was given here.
    anonymous: bool = False
    # Loket itself acting on a rule or a clock (the deadline sweep, closing a report its reporter
    # left unanswered): actor ``system``, no user, no client.
    system: bool = False

    @classmethod
    def nobody(cls, *scopes: str) -> Principal:
        """A caller without an account, allowed ``scopes`` for one request."""
        return cls(user=None, client_id="", scopes=frozenset(scopes), anonymous=True)

    @classmethod
    def itself(cls, *scopes: str) -> Principal:
        """Loket acting on its own rules (the workflow role ``system``), with ``scopes``."""
        return cls(user=None, client_id=SYSTEM_ACTOR, scopes=frozenset(scopes), system=True)

    @property
    def actor_id(self) -> str | None:
        if self.system:
            return SYSTEM_ACTOR
        if self.anonymous:
            return None
        return str(self.user.id) if self.user else self.client_id

    @property
    def actor_type(self) -> str:
        if self.anonymous:
            return "anonymous"
        if self.system:
            return SYSTEM_ACTOR
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


SYSTEM = Principal(user=None, client_id=SYSTEM_ACTOR, scopes=frozenset(), system=True)


def parse_officer_roles(raw: str) -> frozenset[str]:
    return frozenset(part for part in raw.split(",") if part in OFFICER_ROLES)
