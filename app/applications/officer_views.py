"""What the officer pages show, gathered from the same service functions as the JSON API.

Each ``*_view`` runs inside the request's one transaction and returns plain values for a
template; authorisation happens in the service functions it calls (a file the officer may not
see is a 404 there, before anything here reads more).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from app.accounts.principal import Principal
from app.applications import documents, officer_queries, queue, service, transitions
from app.applications.access import visible_application
from app.applications.downloads import VIEWABLE_TYPES
from app.applications.sla import office_date
from app.catalogue import repository as catalogue_repo
from app.catalogue import service as catalogue
from app.errors import ValidationFailed
from app.models.base import utcnow
from app.web.templating import long_date
from app.web.wording import event_label, state_label
from app.workflow.definitions import WORKFLOWS, get_workflow
from app.workflow.engine import allowed_actions

PAGE_SIZE = 25
# The order in which the counts per state are listed: the office's work first.
STATE_ORDER = (
    "submitted",
    "in_review",
    "in_verification",
    "verified",
    "revision_requested",
    "approved",
    "rejected",
    "withdrawn",
    "revoked",
)
# Images open in the browser (sandboxed); PDFs are downloaded: Chromium refuses to run its PDF
# viewer in a document served with ``Content-Security-Policy: sandbox``.


@dataclass(frozen=True)
class QueueFilters:
    state: str = ""
    service: str = ""
    assigned: str = ""
    overdue: bool = False
    q: str = ""

    def as_query(self) -> dict[str, str]:
        values = {
            "state": self.state,
            "service": self.service,
            "assigned": self.assigned,
            "overdue": "1" if self.overdue else "",
            "q": self.q,
        }
        return {key: value for key, value in values.items() if value}


def queue_view(
    session: Session, *, principal: Principal, filters: QueueFilters, cursor: str | None, lang: str
) -> dict[str, Any]:
    """One page of the department's queue, its filters, and counts per state."""
    department = officer_queries.department_of(session, principal=principal)
    services = [
        s
        for s in catalogue.list_services(session, lang=lang).items
        if s.department_code == department.code
    ]
    errors: dict[str, str] = {}
    try:
        found = queue.list_applications(
            session,
            principal=principal,
            query=queue.ListQuery(
                state=filters.state or None,
                service=filters.service or None,
                assigned=filters.assigned or None,
                overdue=filters.overdue,
                q=filters.q or None,
                limit=PAGE_SIZE,
                cursor=cursor,
            ),
        )
        items, next_cursor = found.items, found.next_cursor
    except ValidationFailed as error:
        errors = {e.field: e.message.in_lang(lang) for e in error.errors}
        items, next_cursor = [], None
    workflows = {s.code: s.workflow for s in services}
    assignees = officer_queries.names(session, (item.assigned_to_id for item in items))
    counts = officer_queries.state_counts(session, principal=principal)
    return {
        "department": department,
        "filters": filters,
        "errors": errors,
        "rows": [_queue_row(item, workflows, assignees, principal) for item in items],
        "next_url": _next_url(filters, next_cursor),
        "counts": [
            (state, state_label(state, lang), counts.get(state, 0))
            for state in STATE_ORDER
            if state in counts or state in _states(services)
        ],
        "overdue_total": officer_queries.overdue_count(
            session, principal=principal, today=office_date(utcnow())
        ),
        "state_labels": {state: state_label(state, lang) for state in STATE_ORDER},
        "state_choices": [
            (state, state_label(state, lang)) for state in STATE_ORDER if state in _states(services)
        ],
        "service_choices": [(s.code, f"{s.code} – {s.name}") for s in services],
    }


def _states(services) -> set[str]:
    return {state for s in services for state in get_workflow(s.workflow).states}


def _queue_row(item, workflows: dict[str, str], assignees: dict, principal: Principal) -> dict:
    # Whether to offer "claim" is read from the workflow definition (no query per row);
    # the POST goes through transitions.transition, which decides for real.
    workflow = WORKFLOWS.get(workflows.get(item.service_code, ""))
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
    version = catalogue_repo.service_version(
        session, _service_id(session, principal, application_id)
    )
    people = officer_queries.names(
        session,
        [read.assigned_to_id, read.submitted_by_id]
        + [_user_id(e.actor_id) for e in events if e.actor_type == "user"],
    )
    return {
        "application": read,
        "state_label": state_label(read.state, lang),
        "service_name": version.name_en if lang == "en" else version.name_id,
        "fields": form_fields(version.form_schema, read.data, lang),
        "documents": _documents(docs, version.documents, lang),
        "timeline": [_event(e, people, lang) for e in reversed(events)],
        "actions": [
            a for a in actions.items if not (a.action == "claim" and _mine(read, principal))
        ],
        "assignee": people.get(read.assigned_to_id) if read.assigned_to_id else None,
        "submitted_by": people.get(read.submitted_by_id) if read.submitted_by_id else None,
    }


def _mine(read, principal: Principal) -> bool:
    # Claiming a file one already holds changes nothing worth a button.
    return principal.user is not None and read.assigned_to_id == principal.user.id


def _service_id(session: Session, principal: Principal, application_id: uuid.UUID) -> int:
    application, _ = visible_application(
        session, principal=principal, application_id=application_id
    )
    return application.service_id


def _user_id(actor_id: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(actor_id) if actor_id else None
    except ValueError:
        return None


def form_fields(schema: dict, data: dict, lang: str) -> list[dict[str, Any]]:
    """The form's fields in schema order, labelled in the page's language, with their values."""
    rows = []
    for name, prop in schema.get("properties", {}).items():
        label = (
            prop.get("x-title-en", prop.get("title", name))
            if lang == "en"
            else prop.get("title", name)
        )
        rows.append({"name": name, "label": label, "value": _shown(data.get(name), lang)})
    return rows


def _shown(value: Any, lang: str) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return ("Yes" if value else "No") if lang == "en" else ("Ya" if value else "Tidak")
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
        try:
            return long_date(date.fromisoformat(value), lang)
        except ValueError:
            return value
    return str(value)


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


def _event(event, people: dict, lang: str) -> dict[str, Any]:
    actor = people.get(_user_id(event.actor_id)) if event.actor_type == "user" else None
    return {
        "event": event,
        "label": event_label(event.action, lang),
        "actor": actor or event.actor_id or "",
        "on_behalf": bool(event.details.get("on_behalf_of")),
        "to_state": state_label(event.to_state, lang)
        if event.to_state and event.to_state != event.from_state
        else None,
    }
