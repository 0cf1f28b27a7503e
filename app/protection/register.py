"""``loket privacy register``: the record of processing activities (UU PDP art. 31), read from
the catalogue as it stands: per service and complaint category, why personal data is processed,
which categories of it, who receives it (the department's officers, webhook subscribers, apps
and systems with the scope to read such cases), and how long it is kept where that is defined."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.applications.kind import APPLICATION
from app.complaints.kind import COMPLAINT
from app.db import Session
from app.protection import repository

# What every case holds about its resident besides its form: the account it is filed under.
ACCOUNT_DATA = ("name", "e-mail address", "NIK", "mobile phone")
COMPLAINT_DATA = ("description", "location (address, coordinates)", "contact e-mail and phone")


@dataclass
class Activity:
    """One processing activity: a service, or a complaint category."""

    kind: str  # application | complaint
    code: str
    name: str
    department: str
    purposes: list[str]
    categories: list[str]
    recipients: list[str] = field(default_factory=list)
    retention: str = "not defined"

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def register(session: Session) -> list[Activity]:
    """Every current service and complaint category as a processing activity."""
    departments = repository.department_codes(session)
    hooks = repository.webhook_recipients(session)
    clients = repository.active_clients(session)
    activities = []
    for service in repository.current_services(session):
        activity = Activity(
            kind=APPLICATION.name,
            code=service.code,
            name=service.name_en,
            department=departments.get(service.department_id, "?"),
            purposes=[f"deciding applications for {service.name_en}", *_said(service)],
            categories=[*ACCOUNT_DATA, *_form_fields(service.form_schema)]
            + [f"document: {d.get('label_en') or d['code']}" for d in service.documents],
            retention=_retention(service.deadlines),
        )
        activity.recipients = _recipients(activity, hooks, clients, APPLICATION.read_scope)
        activities.append(activity)
    for category in repository.current_categories(session):
        activity = Activity(
            kind=COMPLAINT.name,
            code=category.code,
            name=category.name_en,
            department=departments.get(category.department_id, "?"),
            purposes=[f"handling complaints about {category.name_en}", *_said(category)],
            categories=[*ACCOUNT_DATA, *COMPLAINT_DATA, *_form_fields(category.form_schema)],
        )
        activity.recipients = _recipients(activity, hooks, clients, COMPLAINT.read_scope)
        activities.append(activity)
    return activities


def _said(entry: Any) -> list[str]:
    return [entry.description_en] if entry.description_en else []


def _form_fields(schema: dict[str, Any]) -> list[str]:
    return [
        f"{prop.get('x-title-en') or prop.get('title') or name} ({name})"
        for name, prop in schema.get("properties", {}).items()
    ]


def _retention(deadlines: dict[str, Any] | None) -> str:
    # Retention rules (issue 18 item 4) will live in the catalogue; until one is there, say so.
    rule = (deadlines or {}).get("retention")
    return str(rule) if rule else "not defined"


def _recipients(activity: Activity, hooks: list[Any], clients: list[Any], scope: str) -> list[str]:
    found = [f"officers of {activity.department}"]
    for hook in hooks:
        if _receives(hook.event_types, activity.kind):
            found.append(f"webhook: {hook.name} ({hook.client_id}) at {hook.url}")
    for client in clients:
        if scope in client.scopes.split():
            kind = "app" if "authorization_code" in client.grant_types.split() else "system"
            operator = f", run by {client.operator}" if client.operator else ""
            found.append(f"{kind}: {client.name} ({client.client_id}{operator})")
    return found


def _receives(patterns: list[str], kind: str) -> bool:
    return any(p == "*" or p.startswith(f"{kind}.") for p in patterns)


def as_text(activities: list[Activity]) -> str:
    """The register as an officer reads it, one block per activity."""
    lines = ["Record of processing activities (UU PDP 27/2022, art. 31)", ""]
    for a in activities:
        lines += [
            f"[{a.kind}] {a.code}: {a.name}",
            f"  controller unit: {a.department}",
            "  purposes: " + "; ".join(a.purposes),
            "  categories of personal data: " + "; ".join(a.categories),
            "  recipients: " + "; ".join(a.recipients),
            f"  retention: {a.retention}",
            "",
        ]
    return "\n".join(lines)
