"""Application rules: create, edit, move through the workflow, read, list.

Every state change goes through the workflow engine and appends to the event chain in the same
transaction (``chain.append``); nothing here commits.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import URL
from sqlalchemy.orm.util import identity_key
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
from app.notifications.outbox import enqueue_for_event, is_public
from app.workflow.definitions import get_workflow

EDITABLE_STATES = frozenset({"draft", "revision_requested"})
CERTIFIED_STATES = frozenset({"approved", "revoked"})


def create_application(
    session: Session, *, principal: Principal, request: ApplicationCreate
) -> ApplicationRead:
    """Start a draft for the caller, or for a named resident (officer at a counter, a system)."""
    principal.require_scope(WRITE_SCOPE)
    applicant = _applicant_for(session, principal=principal, request=request)
    # On PostgreSQL the insert itself checks that the service version is still the current,
    # active one, so the version remembered from an earlier request saves a query; when that
    # check fails, or the data fails the remembered version's form, the version is read again.
    checked = session.get_bind().dialect.name == "postgresql"
    for remembered in (True, False) if checked else (False,):
        service = _current_service(session, request.service_code, remembered=remembered)
        errors = validate_data(service.form_schema, request.data, partial=True)
        if errors and remembered:
            continue
        _raise_field_errors(errors)
        read = _insert_new(
            session, service=service, applicant=applicant, principal=principal, data=request.data
        )
        if read is not None:
            return read
    raise _unknown_service()


# (database URL, service code) -> id of the version last seen current and active.
_CURRENT_SERVICE: dict[tuple[URL, str], int] = {}


def _current_service(session: Session, code: str, *, remembered: bool) -> Service:
    key = (session.get_bind().engine.url, code)
    if remembered and key in _CURRENT_SERVICE:
        return catalogue_repo.service_version(session, _CURRENT_SERVICE[key])
    current = catalogue_repo.current_service_id(session, code)
    if current is None or not current[1]:
        _CURRENT_SERVICE.pop(key, None)
        raise _unknown_service()
    _CURRENT_SERVICE[key] = current[0]
    return catalogue_repo.service_version(session, current[0])


def _unknown_service() -> ValidationFailed:
    return invalid(
        "service_code", "Layanan tidak ditemukan atau tidak aktif", "Unknown or inactive service"
    )


def _insert_new(
    session: Session, *, service: Service, applicant: User, principal: Principal, data: dict
) -> ApplicationRead | None:
    """Write the draft and its first event; None if the service version is no longer current."""
    values, first_event = _new_application_rows(
        service=service, applicant=applicant, principal=principal, data=data
    )
    year = values["created_at"].year
    reference = _insert_numbered(session, values, first_event, service.code, year)
    if reference is None:
        return None
    values["reference"] = reference
    if is_public(first_event):  # never today: a draft is private
        enqueue_for_event(session, application=Application(**values), event=first_event)
    # Every column is in ``values``; the presenter reads them as attributes (building the ORM
    # object cost more CPU than the insert).
    new = cast(Application, SimpleNamespace(**values))
    return application_read(
        new, applicant_name=applicant.full_name, service=service, now=values["created_at"]
    )


def _insert_numbered(
    session: Session, values: dict, first_event: dict, service_code: str, year: int
) -> str | None:
    sequence = numbering.sequence_for(session, service_code=service_code, year=year)
    if sequence is not None:  # PostgreSQL: service check, number and both rows in one trip
        return repository.insert_numbered_application(
            session,
            application=values,
            first_event=first_event,
            sequence=sequence,
            prefix=f"{service_code}-{year}-",
        )
    repository.insert_application(session, application=values, first_event=first_event)
    return repository.assign_reference(
        session,
        application_id=values["id"],
        service_code=service_code,
        year=year,
        number=numbering.next_number(session, service_code=service_code, year=year),
    )


def _applicant_for(session: Session, *, principal: Principal, request: ApplicationCreate) -> User:
    if request.applicant_email is None:
        if not principal.is_citizen:
            raise invalid(
                "applicant_email",
                "Sebutkan e-mail warga yang mengajukan",
                "Name the applicant's e-mail",
            )
        assert principal.user is not None  # is_citizen implies a user
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
        "assigned_to_id": None,
        "verified_by_id": None,
        "state": "draft",
        "data": data,
        "version": 1,
        "event_seq": 1,
        "event_head": first_event["hash"],
        "created_at": now,
        "updated_at": now,
        "paused_working_days": 0,
        "submitted_at": None,
        "decided_at": None,
        "due_at": None,
        "paused_at": None,
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
        applicant_name=_applicant_name(session, application),
    )
    if application.state in CERTIFIED_STATES:
        read.certificate_number = repository.certificate_number(session, application.id)
    return read


def _applicant_name(session: Session, application: Application) -> str:
    # The caller's own account is already in the session (``principal_for``): no query.
    known = session.identity_map.get(identity_key(User, application.applicant_id))
    if known is not None:
        return known.full_name
    return repository.person_name(session, application.applicant_id)


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
