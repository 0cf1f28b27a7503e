"""Turn rows into response shapes (one place, so the API and web pages show the same facts)."""

from __future__ import annotations

from datetime import datetime

from app.applications.schemas import (
    ApplicationRead,
    ApplicationSummary,
    DocumentRead,
    EventRead,
    PersonRead,
)
from app.applications.sla import sla_view
from app.models import Application, Document, Event, Service


def application_summary(
    application: Application, *, applicant_name: str, now: datetime
) -> ApplicationSummary:
    return ApplicationSummary(
        id=application.id,
        reference=application.reference,
        service_code=application.service_code,
        state=application.state,
        version=application.version,
        applicant=PersonRead(id=application.applicant_id, full_name=applicant_name),
        assigned_to_id=application.assigned_to_id,
        created_at=application.created_at,
        submitted_at=application.submitted_at,
        sla=sla_view(application, now=now),
    )


def application_read(
    application: Application, *, applicant_name: str, service: Service, now: datetime
) -> ApplicationRead:
    summary = application_summary(application, applicant_name=applicant_name, now=now)
    return ApplicationRead(
        **summary.model_dump(),
        service_version=service.version,
        data=application.data,
        submitted_by_id=application.submitted_by_id,
        decided_at=application.decided_at,
        updated_at=application.updated_at,
    )


def document_read(document: Document) -> DocumentRead:
    return DocumentRead.model_validate(document, from_attributes=True)


def event_read(event: Event) -> EventRead:
    return EventRead.model_validate(event, from_attributes=True)
