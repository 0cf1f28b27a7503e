"""What the officer's complaint pages show: the department's reports (the queue and its
filters) and one report with the actions the workflow offers this officer now; gathered from
the same service functions as the JSON API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from app.accounts.principal import Principal
from app.accounts.staff import department_of
from app.cases import queue
from app.cases.queue import ListQuery
from app.catalogue import areas
from app.complaints import handling, service
from app.complaints.kind import complaint_workflow_name
from app.db import Session
from app.errors import ValidationFailed
from app.portal.citizen.views import timeline_entries
from app.portal.complaints.views import PAGE_SIZE, REPORTER_ACTIONS, answers, categories
from app.web.wording import state_label
from app.workflow.definitions import get_workflow


@dataclass(frozen=True)
class QueueFilters:
    state: str = ""
    category: str = ""
    area: str = ""
    assigned: str = ""
    overdue: bool = False

    def as_query(self) -> dict[str, str]:
        values = {
            "state": self.state,
            "category": self.category,
            "area": self.area,
            "assigned": self.assigned,
            "overdue": "1" if self.overdue else "",
        }
        return {key: value for key, value in values.items() if value}


def area_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Each kota with its kecamatan, for the queue's area filter."""
    return [
        (
            kota.name,
            [(kota.code, kota.name)] + [(k.code, k.name) for k in areas.children(kota.code)],
        )
        for kota in areas.children()
    ]


def officer_queue(
    session: Session, *, principal: Principal, filters: QueueFilters, cursor: str | None, lang: str
) -> dict[str, Any]:
    """One page of the reports the officer's department handles, and the filters' choices."""
    department = department_of(session, principal=principal)
    offered = [c for c in categories(session, lang=lang) if c.department_code == department.code]
    names = {c.code: c.name for c in categories(session, lang=lang)}
    workflow = get_workflow(complaint_workflow_name())
    errors: dict[str, str] = {}
    query = ListQuery(
        state=filters.state or None,
        subject=filters.category or None,
        assigned=filters.assigned or None,
        overdue=filters.overdue,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    try:
        found = service.list_complaints(
            session, principal=principal, query=query, area=filters.area or None
        )
        items, next_cursor = found.items, found.next_cursor
    except ValidationFailed as error:
        errors = {e.field: e.message.in_lang(lang) for e in error.errors}
        items, next_cursor = [], None
    assignees = queue.names(session, (item.assigned_to_id for item in items))
    rows = [
        {
            "item": item,
            "category_name": names.get(item.category_code, item.category_code),
            "area_name": _area_name(item.area_code),
            "state_label": state_label(workflow.name, item.state, lang, officer=True),
            "assignee": assignees.get(item.assigned_to_id) if item.assigned_to_id else None,
        }
        for item in items
    ]
    return {
        "department": department,
        "filters": filters,
        "errors": errors,
        "rows": rows,
        "next_url": "/officer/complaints?" + urlencode(filters.as_query() | {"cursor": next_cursor})
        if next_cursor
        else None,
        "state_choices": [(s.name, s.words(lang, officer=True)) for s in workflow.states],
        "category_choices": [(c.code, c.name) for c in offered],
        "area_groups": area_groups(),
    }


def _area_name(code: str | None) -> str | None:
    found = areas.area(code) if code else None
    return found.name if found else None


def officer_view(
    session: Session, *, principal: Principal, complaint_id: uuid.UUID, lang: str
) -> dict[str, Any]:
    """Everything the officer's report page shows, and the actions they may take now."""
    read = service.read_complaint(
        session, principal=principal, complaint_id=complaint_id, lang=lang
    )
    events = service.list_events(session, principal=principal, complaint_id=complaint_id)
    offered = handling.available_actions(
        session, principal=principal, complaint_id=complaint_id, lang=lang
    )
    workflow = get_workflow(complaint_workflow_name())
    own = department_of(session, principal=principal).code
    departments = sorted({c.department_code for c in categories(session, lang=lang)} - {own})
    people = queue.names(session, [read.assigned_to_id])
    return {
        "c": read,
        "state_label": state_label(workflow.name, read.state, lang, officer=True),
        "timeline": timeline_entries(events.items, workflow.name, principal, lang),
        # Reassigning needs the department's officers listed: the API's (assignee_id) for now.
        "actions": [
            a for a in offered.items if a.action not in REPORTER_ACTIONS and not a.needs_assignee
        ],
        "departments": departments,
        "answers": answers(session, read, lang),
        "assignee": people.get(read.assigned_to_id) if read.assigned_to_id else None,
    }
