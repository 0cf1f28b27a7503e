"""What the citizen portal's pages show, each gathered by one call from the shared services.

Every function goes through the same service functions as the JSON API (same authorisation:
somebody else's application is a 404) and only adds what a person needs to read the result:
names instead of codes, the checklist of documents, the officer's latest request.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.accounts.principal import Principal
from app.applications import documents, fees, service, transitions
from app.applications.schemas import ApplicationRead, ApplicationUpdate
from app.cases.queue import ListQuery
from app.cases.schemas import ActionRead, DocumentRead, EventRead, SlaRead
from app.catalogue import service as catalogue
from app.catalogue.forms import (
    PREFIX,
    FormField,
    form_fields,
    parse_form,
    raw_inputs,
    shown_values,
)
from app.certificates import views as certificate_views
from app.certificates.issuer import CertificateIssuer
from app.certificates.schemas import CertificateRead
from app.db import Session, savepoint
from app.errors import ValidationFailed
from app.models import Service
from app.payments.schemas import InvoiceRead
from app.web.wording import actor_label, event_label, state_label, via_app_label
from app.workflow.definitions import get_workflow
from app.workflow.engine import State

CITIZEN_ACTIONS = ("submit", "resubmit", "withdraw", "object")
PAGE_SIZE = 20


@dataclass
class ListRow:
    id: uuid.UUID
    reference: str
    service_name: str
    state: str
    state_label: str
    sla: SlaRead
    updated_at: datetime


@dataclass
class MyApplications:
    items: list[ListRow]
    next_cursor: str | None


def my_applications(
    session: Session, *, principal: Principal, lang: str, cursor: str | None
) -> MyApplications:
    """The caller's own applications, newest first, with service names and states in words."""
    listing = service.list_applications(
        session, principal=principal, query=ListQuery(limit=PAGE_SIZE, cursor=cursor)
    )
    names = catalogue.service_names(session, lang=lang)
    rows = [
        ListRow(
            id=item.id,
            reference=item.reference,
            service_name=names.get(item.service_code, item.service_code),
            state=item.state,
            state_label=state_label(item.workflow, item.state, lang),
            sla=item.sla,
            updated_at=item.updated_at,
        )
        for item in listing.items
    ]
    return MyApplications(items=rows, next_cursor=listing.next_cursor)


@dataclass
class Requirement:
    code: str
    label: str
    accepted_types: list[str]
    max_bytes: int
    mandatory: bool
    current: DocumentRead | None
    earlier: int  # superseded uploads kept in the history


@dataclass
class TimelineEntry:
    label: str
    actor: str
    comment: str | None
    created_at: datetime
    detail: str | None = None


@dataclass
class ApplicationView:
    application: ApplicationRead
    service_name: str
    state_label: str
    fields: list[FormField]
    requirements: list[Requirement]
    timeline: list[TimelineEntry]
    actions: list[ActionRead]
    missing: list[str] = field(default_factory=list)
    revision: EventRead | None = None
    rejection: EventRead | None = None
    certificate: CertificateRead | None = None
    invoices: list[InvoiceRead] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        return self._state.editable

    @property
    def clock_started(self) -> bool:
        """Whether the processing time has started (it starts at submission)."""
        return self.application.submitted_at is not None

    @property
    def _state(self) -> State:
        return get_workflow(self.application.workflow).state(self.application.state)

    def action(self, name: str) -> ActionRead | None:
        return next((a for a in self.actions if a.action == name), None)


def application_view(
    session: Session,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    lang: str,
    issuer: CertificateIssuer,
) -> ApplicationView:
    """Everything the citizen's application page shows, through the shared services."""
    read = service.read_application(session, principal=principal, application_id=application_id)
    svc = service.service_for(session, principal=principal, application_id=application_id)
    events = service.list_events(session, principal=principal, application_id=application_id)
    uploads = documents.list_documents(session, principal=principal, application_id=application_id)
    actions = transitions.available_actions(
        session, principal=principal, application_id=application_id, lang=lang
    )
    view = ApplicationView(
        application=read,
        service_name=svc.name_en if lang == "en" else svc.name_id,
        state_label=state_label(read.workflow, read.state, lang),
        fields=form_fields(svc.form_schema, lang),
        requirements=_requirements(svc, uploads.items, lang),
        timeline=timeline_entries(events.items, read.workflow, principal, lang),
        actions=[a for a in actions.items if a.action in CITIZEN_ACTIONS],
        revision=_open_revision_request(events.items, read),
        rejection=_standing_rejection(events.items, read),
    )
    if read.fee is not None:
        view.invoices = fees.list_invoices(
            session, principal=principal, application_id=application_id, lang=lang
        ).items
    if view.editable:
        problems = service.missing_for_submission(
            session, principal=principal, application_id=application_id
        )
        view.missing = [problem.message.in_lang(lang) for problem in problems]
    if read.certificate_number:
        view.certificate = certificate_views.read_certificate(
            session, issuer=issuer, principal=principal, number=read.certificate_number
        )
    return view


def _requirements(svc: Service, uploads: list[DocumentRead], lang: str) -> list[Requirement]:
    result = []
    for rule in svc.documents:
        mine = [d for d in uploads if d.requirement == rule["code"]]
        current = next((d for d in mine if d.is_current), None)
        result.append(
            Requirement(
                code=rule["code"],
                label=rule["label_en"] if lang == "en" else rule["label_id"],
                accepted_types=list(rule["accepted_types"]),
                max_bytes=rule["max_bytes"],
                mandatory=rule["mandatory"],
                current=current,
                earlier=len(mine) - (1 if current else 0),
            )
        )
    return result


def timeline_entries(
    events: list[EventRead], workflow: str, principal: Principal, lang: str
) -> list[TimelineEntry]:
    """A case's timeline in words for its owner, newest first (applications and complaints)."""
    viewer = principal.actor_id
    return [
        TimelineEntry(
            label=event_label(e.action, lang),
            actor=via_app_label(
                actor_label(e.actor_type, e.actor_id, viewer_id=viewer, lang=lang), e.details, lang
            ),
            comment=e.comment,
            created_at=e.created_at,
            detail=_event_detail(e, workflow, lang),
        )
        for e in reversed(events)  # newest first: what happened last is what people look for
    ]


def _event_detail(event: EventRead, workflow: str, lang: str) -> str | None:
    if event.from_state and event.to_state and event.from_state != event.to_state:
        before = state_label(workflow, event.from_state, lang)
        return f"{before} → {state_label(workflow, event.to_state, lang)}"
    return None


REVISION_REQUESTED = "application.revision_requested"


def _open_revision_request(events: list[EventRead], read: ApplicationRead) -> EventRead | None:
    """The officer's request the resident is answering: while a submitted application is back
    in the resident's hands, the last request for a revision."""
    state = get_workflow(read.workflow).state(read.state)
    if not (state.editable and read.submitted_at is not None):
        return None
    return next((e for e in reversed(events) if e.action == REVISION_REQUESTED), None)


REJECTED = "application.rejected"


def _standing_rejection(events: list[EventRead], read: ApplicationRead) -> EventRead | None:
    """The rejection that put the application in its present state, if one did (its reason
    goes at the top of the page, not only far down the timeline)."""
    arrived = next(
        (e for e in reversed(events) if e.to_state == read.state and e.from_state != e.to_state),
        None,
    )
    return arrived if arrived is not None and arrived.action == REJECTED else None


def save_form(
    session: Session,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    form: Mapping[str, Any],
    version: int,
) -> ApplicationRead:
    """Read the posted form by the application's own form schema and save it as one update
    (none when nothing changed: every upload button posts the answers too)."""
    # The form of the service version the application was started on, not a newer one.
    schema = service.service_for(
        session, principal=principal, application_id=application_id
    ).form_schema
    data, _ = parse_form(schema, form)
    current = service.read_application(session, principal=principal, application_id=application_id)
    if all(current.data.get(key) == value for key, value in data.items()):
        # Nothing to overwrite, so an older version is no conflict: the page's own autosave
        # may have saved these very answers a moment before the button was pressed.
        return current
    return service.update_application(
        session,
        principal=principal,
        application_id=application_id,
        request=ApplicationUpdate(data=data, version=version),
    )


def autosave_form(
    session: Session,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    form: Mapping[str, Any],
    version: int,
) -> ApplicationRead:
    """Save what can be saved of a form left half-typed: answers the service refuses are left
    out (as they were) and the rest saved; a refusal that is not about a field still refuses."""
    schema = service.service_for(
        session, principal=principal, application_id=application_id
    ).form_schema
    data, _ = parse_form(schema, form)
    try:
        with savepoint(session):
            return save_form(
                session,
                principal=principal,
                application_id=application_id,
                form=form,
                version=version,
            )
    except ValidationFailed as error:
        refused = {e.field.removeprefix(PREFIX) for e in error.errors}
        if not refused & set(data):
            raise
    kept = {f"{PREFIX}{key}": raw for key, raw in raw_inputs(form).items() if key not in refused}
    current = service.read_application(session, principal=principal, application_id=application_id)
    kept.update(
        {
            f"{PREFIX}{key}": shown
            for key, shown in shown_values(current.data).items()
            if key in refused
        }
    )
    return save_form(
        session, principal=principal, application_id=application_id, form=kept, version=version
    )
