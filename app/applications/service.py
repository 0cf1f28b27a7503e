"""Application rules: create, edit, move through the workflow, read, list.

Every state change goes through the workflow engine and appends to the event chain in the same
transaction (``chain.append``); nothing here commits.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from app.accounts import repository as accounts_repo
from app.accounts.principal import Principal
from app.applications import chain, numbering, repository
from app.applications.access import WRITE_SCOPE, visible_application
from app.applications.chain import ChainProblem, EventDraft
from app.applications.presenters import application_read, event_read
from app.applications.schemas import (
    ApplicationCreate,
    ApplicationRead,
    ApplicationUpdate,
    EventList,
)
from app.catalogue import repository as catalogue_repo
from app.catalogue.formschema import validate_data
from app.errors import InvalidTransition, Msg, NotFound, StaleVersion, ValidationFailed, invalid
from app.models import Application, Service, User
from app.models.base import utcnow
from app.notifications.outbox import enqueue_for_event
from app.workflow.definitions import get_workflow

EDITABLE_STATES = frozenset({"draft", "revision_requested"})
CERTIFIED_STATES = frozenset({"approved", "revoked"})


def create_application(
    session: Session, *, principal: Principal, request: ApplicationCreate
) -> ApplicationRead:
    """Start a draft for the caller, or for a named resident (officer at a counter, a system)."""
    principal.require_scope(WRITE_SCOPE)
    applicant = _applicant_for(session, principal=principal, request=request)
    current = catalogue_repo.current_service_id(session, request.service_code)
    if current is None or not current[1]:
        raise invalid(
            "service_code",
            "Layanan tidak ditemukan atau tidak aktif",
            "Unknown or inactive service",
        )
    service = catalogue_repo.service_version(session, current[0])
    _raise_field_errors(validate_data(service.form_schema, request.data, partial=True))
    values, first_event = _new_application_rows(
        service=service, applicant=applicant, principal=principal, data=request.data
    )
    application = Application(**values)
    response = application_read(
        application, applicant_name=applicant.full_name, service=service, now=values["created_at"]
    )
    repository.insert_application(session, application=values, first_event=first_event)
    # Queues nothing today (a draft is private); kept for the day drafts announce themselves.
    enqueue_for_event(session, application=application, event=first_event)
    year = values["created_at"].year
    number = numbering.next_number(session, service_code=service.code, year=year)
    response.reference = application.reference = repository.assign_reference(
        session,
        application_id=application.id,
        service_code=service.code,
        year=year,
        number=number,
    )
    return response


def _applicant_for(session: Session, *, principal: Principal, request: ApplicationCreate) -> User:
    if request.applicant_email is None:
        if not principal.is_citizen:
            raise invalid(
                "applicant_email",
                "Sebutkan e-mail warga yang mengajukan",
                "Name the applicant's e-mail",
            )
        return principal.user
    if not (principal.is_officer or principal.is_client):
        raise invalid(
            "applicant_email",
            "Hanya petugas atau sistem terdaftar yang dapat mengajukan atas nama warga",
            "Only officers and registered systems may apply on behalf of a resident",
        )
    applicant = accounts_repo.user_by_email(session, request.applicant_email)
    if applicant is None or applicant.role != "citizen" or not applicant.is_active:
        raise invalid(
            "applicant_email",
            "Warga dengan e-mail ini tidak ditemukan",
            "No resident with this e-mail",
        )
    return applicant


def _new_application_rows(
    *, service: Service, applicant: User, principal: Principal, data: dict[str, Any]
) -> tuple[dict, dict]:
    now = utcnow()
    application_id = uuid.uuid4()
    on_behalf = principal.user is None or principal.user.id != applicant.id
    draft = EventDraft(
        "application.created",
        principal.actor_type,
        principal.actor_id,
        to_state="draft",
        details={"on_behalf_of": str(applicant.id)} if on_behalf else {},
    )
    first_event = chain.event_row(
        application_id=application_id, seq=1, prev_hash=chain.GENESIS, draft=draft, created_at=now
    )
    values = {
        "id": application_id,
        "reference": application_id.hex,  # unique placeholder until assign_reference
        "service_id": service.id,
        "service_code": service.code,
        "department_id": service.department_id,
        "applicant_id": applicant.id,
        "submitted_by_id": principal.user.id if principal.user and on_behalf else None,
        "created_by_client": principal.client_id if principal.is_client else None,
        "state": "draft",
        "data": data,
        "version": 1,
        "event_seq": 1,
        "event_head": first_event["hash"],
        "created_at": now,
        "updated_at": now,
        "paused_working_days": 0,
    }
    return values, first_event


def read_application(
    session: Session, *, principal: Principal, application_id: uuid.UUID
) -> ApplicationRead:
    """One application the caller may see."""
    application, _ = visible_application(
        session, principal=principal, application_id=application_id
    )
    return present(session, application)


def present(session: Session, application: Application) -> ApplicationRead:
    service = catalogue_repo.service_version(session, application.service_id)
    read = application_read(
        application,
        service=service,
        now=utcnow(),
        applicant_name=repository.person_name(session, application.applicant_id),
    )
    if application.state in CERTIFIED_STATES:
        read.certificate_number = repository.certificate_number(session, application.id)
    return read


def update_application(
    session: Session, *, principal: Principal, application_id: uuid.UUID, request: ApplicationUpdate
) -> ApplicationRead:
    """Change form fields while the citizen holds the file (draft or revision requested)."""
    application, roles = visible_application(
        session, principal=principal, application_id=application_id, write=True
    )
    if "applicant" not in roles:
        raise NotFound(Msg("Permohonan tidak ditemukan", "Application not found"))
    if application.state not in EDITABLE_STATES:
        raise InvalidTransition(
            Msg(
                "Data hanya dapat diubah saat draf atau perlu perbaikan",
                "Data can only be changed in draft or revision requested",
            )
        )
    check_version(application, request.version)
    merged = {k: v for k, v in {**application.data, **request.data}.items() if v is not None}
    service = catalogue_repo.service_version(session, application.service_id)
    _raise_field_errors(validate_data(service.form_schema, merged, partial=True))
    changed = sorted(k for k in request.data if application.data.get(k) != request.data[k])
    chain.append(
        session,
        application=application,
        expected_version=request.version,
        changes={"data": merged},
        draft=EventDraft(
            "application.data_updated",
            principal.actor_type,
            principal.actor_id,
            details={"fields": changed},
        ),
    )
    return present(session, application)


def check_version(application: Application, version: int) -> None:
    """Optimistic locking: the caller must have seen the current version."""
    if application.version != version:
        raise StaleVersion(
            Msg(
                f"Versi saat ini {application.version}, bukan {version}",
                f"The current version is {application.version}, not {version}",
            )
        )


def _raise_field_errors(errors: list) -> None:
    if errors:
        raise ValidationFailed(errors=errors)


def workflow_of(session: Session, application: Application):
    """The workflow the application's service version runs on."""
    service = catalogue_repo.service_version(session, application.service_id)
    return service, get_workflow(service.workflow)


def list_events(session: Session, *, principal: Principal, application_id: uuid.UUID) -> EventList:
    """The application's timeline, oldest first."""
    application, _ = visible_application(
        session, principal=principal, application_id=application_id
    )
    return EventList(items=[event_read(e) for e in repository.events(session, application.id)])


def verify_all_chains(session: Session) -> tuple[int, list[ChainProblem]]:
    """Re-walk every application's event chain (``loket audit verify``)."""
    checked, problems = 0, []
    for application in repository.all_applications(session):
        checked += 1
        problems.extend(chain.verify_chain(session, application))
    return checked, problems
