"""What the officer pages show, gathered from the same service functions as the JSON API.

Each ``*_view`` runs inside the request's one transaction and returns plain values for a
template; authorisation happens in the service functions it calls (a file the officer may not
see is a 404 there, before anything here reads more).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from app.accounts.principal import Principal
from app.accounts.staff import department_of
from app.applications import documents, fees, service, transitions
from app.applications.kind import APPLICATION
from app.cases import queue
from app.catalogue import service as catalogue
from app.catalogue.forms import display_fields
from app.db import Session
from app.errors import ValidationFailed
from app.http.downloads import VIEWABLE_TYPES
from app.web.wording import event_label, state_label, via_app_label
from app.workflow.definitions import WORKFLOWS, get_workflow, work_order
from app.workflow.engine import allowed_actions

PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueFilters:
    state: str = ""
    service: str = ""
    assigned: str = ""
    overdue: bool = False
    escalated: bool = False
    q: str = ""
    # What is due first (overdue at the top) unless the officer asks for the newest ("new").
    sort: str = "due"

    def as_query(self) -> dict[str, str]:
        values = {
            "state": self.state,
            "service": self.service,
            "assigned": self.assigned,
            "overdue": "1" if self.overdue else "",
            "escalated": "1" if self.escalated else "",
            "q": self.q,
            "sort": "" if self.sort == "due" else self.sort,
        }
        return {key: value for key, value in values.items() if value}


def queue_view(
    session: Session, *, principal: Principal, filters: QueueFilters, cursor: str | None, lang: str
) -> dict[str, Any]:
    """One page of the department's queue, its filters, and counts per state."""
    department = department_of(session, principal=principal)
    services = [
        s
        for s in catalogue.list_services(session, lang=lang).items
        if s.department_code == department.code
    ]
    errors: dict[str, str] = {}
    try:
        found = service.list_applications(
            session,
            principal=principal,
            query=queue.ListQuery(
                state=filters.state or None,
                subject=filters.service or None,
                assigned=filters.assigned or None,
                overdue=filters.overdue,
                escalated=filters.escalated,
                q=filters.q or None,
                limit=PAGE_SIZE,
                cursor=cursor,
                sort=filters.sort,
            ),
        )
        items, next_cursor = found.items, found.next_cursor
    except ValidationFailed as error:
        errors = {e.field: e.message.in_lang(lang) for e in error.errors}
        items, next_cursor = [], None
    assignees = queue.names(session, (item.assigned_to_id for item in items))
    counts = queue.department_counts(session, principal=principal, kind=APPLICATION)
    flows = {s.workflow for s in services}
    offered = work_order(get_workflow(name) for name in sorted(flows))
    everything = work_order(get_workflow(name) for name in APPLICATION.workflows)
    # Words for a state come from the department's workflows where they name it.
    words = {name: _state_words(name, flows, lang) for name in everything}
    return {
        "department": department,
        "filters": filters,
        "errors": errors,
        "rows": [_queue_row(item, assignees, principal, lang) for item in items],
        "next_url": _next_url(filters, next_cursor),
        "counts": [
            (state, words[state], counts.by_state.get(state, 0))
            for state in everything
            if state in counts.by_state or state in offered
        ],
        "overdue_total": counts.overdue,
        "state_choices": [(state, words[state]) for state in offered],
        "service_choices": [(s.code, f"{s.code} – {s.name}") for s in services],
    }


def _state_words(state: str, flows: set[str], lang: str) -> str:
    for name in sorted(flows) or APPLICATION.workflows:
        if state in get_workflow(name).state_names:
            return state_label(name, state, lang, officer=True)
    return state_label(APPLICATION.workflows[0], state, lang, officer=True)


def _queue_row(item, assignees: dict, principal: Principal, lang: str) -> dict:
    # Whether to offer "claim" is read from the workflow definition (no query per row);
    # the POST goes through transitions.transition, which decides for real.
    workflow = WORKFLOWS.get(item.workflow)
    claimable = (
        item.assigned_to_id is None
        and workflow is not None
        and any(
            t.action == "claim"
            for t in allowed_actions(workflow, state=item.state, roles=principal.officer_roles)
        )
    )
    return {
        "item": item,
        "state_label": state_label(item.workflow, item.state, lang, officer=True),
        "claimable": claimable,
        "assigned_to_me": principal.user is not None and item.assigned_to_id == principal.user.id,
        "assignee": assignees.get(item.assigned_to_id) if item.assigned_to_id else None,
    }


def _next_url(filters: QueueFilters, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return "/officer?" + urlencode(filters.as_query() | {"cursor": cursor})


def review_view(
    session: Session, *, principal: Principal, application_id: uuid.UUID, lang: str
) -> dict[str, Any]:
    """Everything the application page shows, and the actions this officer may take now."""
    read = service.read_application(session, principal=principal, application_id=application_id)
    events = service.list_events(session, principal=principal, application_id=application_id).items
    docs = documents.list_documents(
        session, principal=principal, application_id=application_id
    ).items
    actions = transitions.available_actions(
        session, principal=principal, application_id=application_id, lang=lang
    )
    version = service.service_for(session, principal=principal, application_id=application_id)
    people = queue.names(
        session,
        [read.assigned_to_id, read.submitted_by_id]
        + [_user_id(e.actor_id) for e in events if e.actor_type == "user"],
    )
    return {
        "application": read,
        "state_label": state_label(read.workflow, read.state, lang, officer=True),
        "service_name": version.name_en if lang == "en" else version.name_id,
        "fields": display_fields(version.form_schema, read.data, lang),
        "documents": _documents(docs, version.documents, lang),
        "timeline": [_event(e, read.workflow, people, lang) for e in reversed(events)],
        "actions": [
            a for a in actions.items if not (a.action == "claim" and _mine(read, principal))
        ],
        "assignee": people.get(read.assigned_to_id) if read.assigned_to_id else None,
        "submitted_by": people.get(read.submitted_by_id) if read.submitted_by_id else None,
        "invoices": fees.list_invoices(
            session, principal=principal, application_id=application_id, lang=lang
        ).items
        if read.fee is not None
        else [],
    }


def _mine(read, principal: Principal) -> bool:
    # Claiming a file one already holds changes nothing worth a button.
    return principal.user is not None and read.assigned_to_id == principal.user.id


def _user_id(actor_id: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(actor_id) if actor_id else None
    except ValueError:
        return None


def _documents(docs, requirements: list[dict], lang: str) -> list[dict[str, Any]]:
    labels = {r["code"]: r["label_en"] if lang == "en" else r["label_id"] for r in requirements}
    return [
        {
            "doc": d,
            "label": labels.get(d.requirement, d.requirement),
            "inline": d.content_type in VIEWABLE_TYPES,
        }
        for d in docs
        if d.is_current
    ]


def _event(event, workflow: str, people: dict, lang: str) -> dict[str, Any]:
    actor = people.get(_user_id(event.actor_id)) if event.actor_type == "user" else None
    return {
        "event": event,
        "label": event_label(event.action, lang),
        "actor": via_app_label(actor or event.actor_id or "", event.details, lang),
        "on_behalf": bool(event.details.get("on_behalf_of")),
        "to_state": state_label(workflow, event.to_state, lang, officer=True)
        if event.to_state and event.to_state != event.from_state
        else None,
    }
