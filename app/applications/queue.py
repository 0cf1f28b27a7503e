"""Listing applications: a citizen's own, or an officer's department queue."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.accounts.principal import Principal
from app.applications import repository
from app.applications.access import READ_SCOPE
from app.applications.presenters import application_summary
from app.applications.repository import QueueFilter
from app.applications.schemas import ApplicationPage
from app.applications.sla import office_date
from app.errors import invalid
from app.models.base import utcnow
from app.workflow.definitions import ACTIVE_STATES, WORKFLOWS

KNOWN_STATES = frozenset(s for workflow in WORKFLOWS.values() for s in workflow.states)
MAX_LIMIT = 100


@dataclass(frozen=True)
class ListQuery:
    """Filters as the caller sent them (already type-checked by the route)."""

    state: str | None = None
    service: str | None = None
    assigned: str | None = None  # "me" | "unassigned"
    overdue: bool = False
    q: str | None = None
    limit: int = 20
    cursor: str | None = None


def list_applications(
    session: Session, *, principal: Principal, query: ListQuery
) -> ApplicationPage:
    """One page of what the caller may see, newest first."""
    principal.require_scope(READ_SCOPE)
    where = _scope_filter(principal, query)
    limit = min(max(query.limit, 1), MAX_LIMIT)
    rows = repository.queue_page(
        session,
        where=where,
        limit=limit + 1,
        after=decode_cursor(query.cursor) if query.cursor else None,
    )
    now = utcnow()
    items = [application_summary(app, applicant_name=name, now=now) for app, name in rows[:limit]]
    next_cursor = (
        encode_cursor(rows[limit - 1][0].created_at, rows[limit - 1][0].id)
        if len(rows) > limit
        else None
    )
    return ApplicationPage(items=items, next_cursor=next_cursor)


def _scope_filter(principal: Principal, query: ListQuery) -> QueueFilter:
    states = _states(query.state)
    user = principal.user
    # QueueFilter's keyword arguments; each branch sets its own (a department id, a user id).
    scope: dict[str, Any]
    if principal.is_officer:
        assert user is not None  # is_officer implies a user
        scope = {"department_id": user.department_id, "hide_drafts": True}
    elif principal.is_citizen:
        assert user is not None  # is_citizen implies a user
        scope = {"applicant_id": user.id}
    elif principal.is_client:
        scope = {"hide_drafts": True}  # a system with applications:read sees every file
    else:  # admins see no citizen files here
        scope = {"department_id": -1}
    if query.assigned not in (None, "", "me", "unassigned"):
        raise invalid("assigned", "Gunakan 'me' atau 'unassigned'", "Use 'me' or 'unassigned'")
    return QueueFilter(
        **scope,
        states=states,
        service_code=query.service or None,
        assigned_to=user.id if query.assigned == "me" and user else None,
        unassigned=query.assigned == "unassigned",
        overdue_before=office_date(utcnow()) if query.overdue else None,
        overdue_states=tuple(sorted(ACTIVE_STATES)),
        search=(query.q or "").strip() or None,
    )


def _states(raw: str | None) -> tuple[str, ...]:
    states = tuple(s for s in (raw or "").split(",") if s)
    unknown = [s for s in states if s not in KNOWN_STATES]
    if unknown:
        raise invalid(
            "state",
            f"Status tidak dikenal: {', '.join(unknown)}",
            f"Unknown state: {', '.join(unknown)}",
        )
    return states


def encode_cursor(created_at: datetime, application_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{application_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, identifier = raw.partition("|")
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(identifier)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid("cursor", "Kursor tidak valid", "Invalid cursor") from None
