"""Turn rows into response shapes (one place, so the API and web pages show the same facts)."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.applications.schemas import ApplicationRead, ApplicationSummary
from app.cases.clock import sla_view
from app.cases.schemas import PersonRead
from app.models import Case, Service
from app.workflow.definitions import get_workflow


def application_summary(row: Any, *, applicant_name: str, today: date) -> ApplicationSummary:
    """A queue line from a row with the case's summary columns (``cases.repository``)."""
    return ApplicationSummary(**_summary_fields(row, applicant_name, today))


def application_read(
    case: Case, *, applicant_name: str, service: Service, today: date
) -> ApplicationRead:
    return ApplicationRead(
        **_summary_fields(case, applicant_name, today),
        service_version=service.version,
        data=case.data,
        submitted_by_id=case.submitted_by_id,
        decided_at=case.decided_at,
    )


def _summary_fields(case: Any, applicant_name: str, today: date) -> dict:
    # ``case`` may also be a result row with the same column names (the queue).
    state = get_workflow(case.workflow).state(case.state)
    return {
        "id": case.id,
        "reference": case.reference,
        "service_code": case.subject_code,
        "workflow": case.workflow,
        "state": case.state,
        "version": case.version,
        "applicant": PersonRead(id=case.owner_id, full_name=applicant_name),
        "assigned_to_id": case.assigned_to_id,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "submitted_at": case.submitted_at,
        "sla": sla_view(case, state, today=today),
    }
