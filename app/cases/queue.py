"""Listing cases of one kind: a resident's own, or an officer's department queue.

"Who may see what" is a filter on the query (``scope``), built once from the caller, so a list
never loads what it would then have to hide.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.accounts.principal import Principal
from app.accounts.staff import officer_of
from app.cases import repository
from app.cases.kinds import CaseKind
from app.cases.repository import QueueFilter
from app.db import Session
from app.errors import invalid
from app.office import today
from app.workflow.definitions import get_workflow, states_where

MAX_LIMIT = 100


@dataclass(frozen=True)
class ListQuery:
    """Filters as the caller sent them (already type-checked by the route)."""

    state: str | None = None
    subject: str | None = None  # a service code, a complaint category
    assigned: str | None = None  # "me" | "unassigned"
    overdue: bool = False
    escalated: bool = False  # the head's queue: cases escalated at their deadline, still open
    q: str | None = None
    limit: int = 20
    cursor: str | None = None
    # "due": what is due first (overdue at the top), else newest first.
    sort: str | None = None
    # A case type's own filters, already checked by its service: names registered with
    # ``repository.register_condition`` (a complaint's area), with their parameter values.
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Page:
    rows: list[Any]  # query rows with the summary columns and the owner's full_name
    next_cursor: str | None


SORTS = ("due", "new")


def list_cases(session: Session, *, principal: Principal, kind: CaseKind, query: ListQuery) -> Page:
    """One page of what the caller may see, newest first or due first (``sort="due"``)."""
    principal.require_scope(kind.read_scope)
    if query.sort not in (None, "", *SORTS):
        raise invalid("sort", "Gunakan 'due' atau 'new'", "Use 'due' or 'new'")
    due_first = query.sort == "due"
    where = scope(principal, kind, query)
    limit = min(max(query.limit, 1), MAX_LIMIT)
    after = decode_cursor(query.cursor, due_first=due_first) if query.cursor else None
    rows = repository.queue_page(
        session, where=where, limit=limit + 1, after=after, due_first=due_first
    )
    last = rows[limit - 1] if len(rows) > limit else None
    if last is None:
        cursor = None
    elif due_first:
        cursor = encode_due_cursor(last.due_key, last.created_at, last.id)
    else:
        cursor = encode_cursor(last.created_at, last.id)
    return Page(rows=rows[:limit], next_cursor=cursor)


def scope(principal: Principal, kind: CaseKind, query: ListQuery) -> QueueFilter:
    """The filter for what this caller may list, with the caller's own filters added."""
    flows = [get_workflow(name) for name in kind.workflows]
    states = _states(query.state, known=set(states_where(flows)))
    user = principal.user
    # QueueFilter's keyword arguments; each branch sets its own (a department id, a user id).
    who: dict[str, Any]
    if principal.is_officer:
        assert user is not None  # is_officer implies a user
        who = {"department_id": user.department_id, "hide_private": True}
    elif principal.is_citizen:
        assert user is not None  # is_citizen implies a user
        who = {"owner_id": user.id}
    elif principal.is_client:
        who = {"hide_private": True}  # a system with the read scope sees every submitted case
    else:  # admins see no residents' files here
        who = {"department_id": -1}
    if query.assigned not in (None, "", "me", "unassigned"):
        raise invalid("assigned", "Gunakan 'me' atau 'unassigned'", "Use 'me' or 'unassigned'")
    return QueueFilter(
        kind=kind.name,
        **who,
        states=states,
        subject_code=query.subject or None,
        assigned_to=user.id if query.assigned == "me" and user else None,
        unassigned=query.assigned == "unassigned",
        overdue_before=today() if query.overdue else None,
        overdue_states=states_where(flows, clock="runs"),
        escalated=query.escalated,
        search=(query.q or "").strip() or None,
        extra=query.extra,
    )


def _states(raw: str | None, *, known: set[str]) -> tuple[str, ...]:
    states = tuple(s for s in (raw or "").split(",") if s)
    unknown = [s for s in states if s not in known]
    if unknown:
        raise invalid(
            "state",
            f"Status tidak dikenal: {', '.join(unknown)}",
            f"Unknown state: {', '.join(unknown)}",
        )
    return states


def encode_cursor(created_at: datetime, case_id: uuid.UUID, *, prefix: str = "") -> str:
    raw = f"{prefix}{created_at.isoformat()}|{case_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def encode_due_cursor(due_key: date | str, created_at: datetime, case_id: uuid.UUID) -> str:
    due = due_key if isinstance(due_key, str) else due_key.isoformat()
    return encode_cursor(created_at, case_id, prefix=f"due:{due}|")


def decode_cursor(cursor: str, *, due_first: bool = False) -> tuple[Any, ...]:
    """(created_at, id), or due first (due day, created_at, id); a cursor of the other order
    is refused like any other invalid one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        due = None
        if raw.startswith("due:"):
            day, _, raw = raw.removeprefix("due:").partition("|")
            due = date.fromisoformat(day)
        if (due is not None) != due_first:
            raise ValueError("a cursor of the other order")
        created, _, identifier = raw.partition("|")
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None:
            raise ValueError("naive")
        found = moment, uuid.UUID(identifier)
        return (due, *found) if due is not None else found
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid("cursor", "Kursor tidak valid", "Invalid cursor") from None


@dataclass(frozen=True)
class DepartmentCounts:
    by_state: dict[str, int]  # private states (drafts) left out
    overdue: int  # running-clock cases past their due working day (the queue's overdue rule)


def department_counts(
    session: Session, *, principal: Principal, kind: CaseKind
) -> DepartmentCounts:
    """Counts of the signed-in officer's department, for the head of their queue."""
    officer = officer_of(principal)
    department_id = officer.department_id or -1
    flows = [get_workflow(name) for name in kind.workflows]
    return DepartmentCounts(
        by_state=repository.state_counts(session, kind=kind.name, department_id=department_id),
        overdue=repository.overdue_count(
            session,
            kind=kind.name,
            department_id=department_id,
            running=states_where(flows, clock="runs"),
            today=today(),
        ),
    )


def names(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Full names of the people a page shows next to cases the caller may already see."""
    return repository.names(session, user_ids)
