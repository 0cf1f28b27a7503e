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
    return ApplicationSummary(**_summary_fields(application, applicant_name, now))


def application_read(
    application: Application, *, applicant_name: str, service: Service, now: datetime
) -> ApplicationRead:
    return ApplicationRead(
        **_summary_fields(application, applicant_name, now),
        service_version=service.version,
        data=application.data,
        submitted_by_id=application.submitted_by_id,
        decided_at=application.decided_at,
        updated_at=application.updated_at,
    )


def _summary_fields(application: Application, applicant_name: str, now: datetime) -> dict:
    # ``application`` may also be a result row with the same column names (the queue).
    return {
        "id": application.id,
        "reference": application.reference,
        "service_code": application.service_code,
        "state": application.state,
        "version": application.version,
        "applicant": PersonRead(id=application.applicant_id, full_name=applicant_name),
        "assigned_to_id": application.assigned_to_id,
        "created_at": application.created_at,
        "submitted_at": application.submitted_at,
        "sla": sla_view(application, now=now),
    }


def document_read(document: Document) -> DocumentRead:
    return DocumentRead.model_validate(document, from_attributes=True)


def event_read(event: Event) -> EventRead:
    return EventRead.model_validate(event, from_attributes=True)
