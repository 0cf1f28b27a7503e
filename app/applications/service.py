"""Application rules: create, edit, read, list; moving through the workflow is ``transitions``.

An application is a case of kind "application" (``app.applications.kind``): the kernel keeps
its number, state, timeline, SLA clock and access rules; this module adds what only permits
have, the service version and its form. Nothing here commits.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from sqlalchemy import URL
from sqlalchemy.orm.util import identity_key

from app.accounts import repository as accounts_repo
from app.accounts.principal import Principal
from app.applications import fees, repository
from app.applications.kind import APPLICATION, incompleteness, service_of
from app.applications.presenters import application_read, application_summary
from app.applications.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationRead,
    ApplicationUpdate,
)
from app.cases import opening, queue, timeline
from app.cases import repository as cases_repo
from app.cases.access import owner_may_edit, visible_case
from app.cases.actions import check_version
from app.cases.kinds import workflow_of
from app.cases.schemas import EventList, EventRead
from app.cases.timeline import EventDraft
from app.catalogue import repository as catalogue_repo
from app.catalogue.formschema import validate_data
from app.certificates import views as certificate_views
from app.certificates.issuer import CertificateIssuer
from app.db import Session
from app.errors import FieldError, InvalidTransition, Msg, NotFound, ValidationFailed, invalid
from app.models import Case, Certificate, Service, User
from app.models.base import utcnow
from app.office import office_date
from app.office import today as office_today
from app.privacy import access as privacy
from app.workflow.definitions import get_workflow


def create_application(
    session: Session, *, principal: Principal, request: ApplicationCreate
) -> ApplicationRead:
    """Start a draft for the caller, or for a named resident (officer at a counter, a system)."""
    principal.require_scope(APPLICATION.write_scope)
    applicant = _applicant_for(session, principal=principal, request=request)
    # As in an update, null means "not filled in": a new draft stores only what was given.
    data = {key: value for key, value in request.data.items() if value is not None}
    # Writing the application checks that its service version is still the current, active
    # one, so the version remembered from an earlier request saves a query; when that check
    # fails, or the data fails the remembered version's form, the version is read again.
    for remembered in (True, False):
        service = _current_service(session, request.service_code, remembered=remembered)
        errors = validate_data(service.form_schema, data, partial=True)
        if errors and remembered:
            continue
        _raise_field_errors(errors)
        read = _insert_new(
            session, service=service, applicant=applicant, principal=principal, data=data
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
    """Write the draft, its application row and its first event; None if the service version
    is no longer current (nothing written)."""
    assert service.id is not None  # a stored version
    workflow = get_workflow(service.workflow)
    now = utcnow()
    values, first_event = opening.new_case_rows(
        kind=APPLICATION,
        subject_code=service.code,
        workflow=workflow.name,
        state=workflow.initial,
        department_id=service.department_id,
        owner_id=applicant.id,
        principal=principal,
        data=data,
        now=now,
    )
    own = repository.own_row(application_id=values["id"], service_id=service.id)
    written = opening.insert_case(
        session, case=values, own=own, first_event=first_event, series=service.code
    )
    if written is None:
        return None
    # Every column is in ``values``; the presenter reads them as attributes (building the ORM
    # object cost more CPU than the insert).
    new = cast(Case, SimpleNamespace(**values))
    read = application_read(
        new, applicant_name=applicant.full_name, service=service, today=office_date(now)
    )
    if service.fee:  # nothing billed yet: priced on the draft's data
        read.fee = fees.fee_of(session, new, service=service)
    return read


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


def visible_application(
    session: Session, *, principal: Principal, application_id: uuid.UUID, write: bool = False
) -> tuple[Case, frozenset[str]]:
    """The application's case if the caller may see it, with their roles on it; else 404."""
    return visible_case(
        session, principal=principal, kind=APPLICATION, case_id=application_id, write=write
    )


def read_application(
    session: Session, *, principal: Principal, application_id: uuid.UUID
) -> ApplicationRead:
    """One application the caller may see; a read by anyone but its applicant is recorded."""
    case, _ = visible_application(session, principal=principal, application_id=application_id)
    read = present(session, case)
    privacy.record_access(
        session,
        principal=principal,
        subject_user_id=case.owner_id,
        what=privacy.APPLICATION,
        fields=read.data.keys(),
        case_id=case.id,
    )
    return read


def present(session: Session, case: Case) -> ApplicationRead:
    read = application_read(
        case,
        service=service_of(session, case),
        today=office_today(),
        applicant_name=_applicant_name(session, case),
    )
    if workflow_of(case).state(case.state).certified:
        read.certificate_number = repository.certificate_number(session, case.id)
    read.fee = fees.fee_of(session, case)
    return read


def _applicant_name(session: Session, case: Case) -> str:
    # The caller's own account is already in the session (``principal_for``): no query.
    if case.owner_id is None:
        return ""
    known = session.identity_map.get(identity_key(User, case.owner_id))
    if known is not None:
        return known.full_name
    return cases_repo.person_name(session, case.owner_id)


def update_application(
    session: Session, *, principal: Principal, application_id: uuid.UUID, request: ApplicationUpdate
) -> ApplicationRead:
    """Change form fields while the applicant holds the file (draft or revision requested)."""
    case, roles = visible_application(
        session, principal=principal, application_id=application_id, write=True
    )
    if APPLICATION.owner_role not in roles:
        raise NotFound(APPLICATION.not_found)
    if not owner_may_edit(case, roles, APPLICATION):
        raise InvalidTransition(
            Msg(
                "Data hanya dapat diubah saat draf atau perlu perbaikan",
                "Data can only be changed in draft or revision requested",
            )
        )
    check_version(case, request.version)
    merged = {k: v for k, v in {**case.data, **request.data}.items() if v is not None}
    service = service_of(session, case)
    _raise_field_errors(validate_data(service.form_schema, merged, partial=True))
    changed = sorted(k for k in request.data if case.data.get(k) != request.data[k])
    timeline.append(
        session,
        case=case,
        expected_version=request.version,
        changes={"data": merged},
        draft=EventDraft(
            "application.data_updated",
            principal.actor_type,
            principal.actor_id,
            details={"fields": changed},
        ),
    )
    return present(session, case)


def _raise_field_errors(errors: list) -> None:
    if errors:
        raise ValidationFailed(errors=errors)


def list_applications(
    session: Session, *, principal: Principal, query: queue.ListQuery
) -> ApplicationPage:
    """One page of what the caller may see, newest first."""
    page = queue.list_cases(session, principal=principal, kind=APPLICATION, query=query)
    today = office_today()
    items = [
        application_summary(row, applicant_name=row.full_name, today=today) for row in page.rows
    ]
    return ApplicationPage(items=items, next_cursor=page.next_cursor)


def list_events(session: Session, *, principal: Principal, application_id: uuid.UUID) -> EventList:
    """The application's timeline, oldest first."""
    case, _ = visible_application(session, principal=principal, application_id=application_id)
    return EventList(
        items=[
            EventRead.model_validate(e, from_attributes=True)
            for e in cases_repo.events(session, case.id)
        ]
    )


def application_certificate(
    session: Session,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    issuer: CertificateIssuer,
) -> tuple[Certificate, Path]:
    """The signed PDF of an application's certificate, for whoever may read the application."""
    read = read_application(session, principal=principal, application_id=application_id)
    if read.certificate_number is None:
        raise NotFound(
            Msg(
                "Belum ada sertifikat untuk permohonan ini",
                "This application has no certificate yet",
            )
        )
    return certificate_views.open_pdf(
        session, issuer=issuer, principal=principal, number=read.certificate_number
    )


def service_for(session: Session, *, principal: Principal, application_id: uuid.UUID) -> Service:
    """The service version an application the caller may see started on (its form, its
    documents), whatever the catalogue offers now."""
    case, _ = visible_application(session, principal=principal, application_id=application_id)
    return service_of(session, case)


def missing_for_submission(
    session: Session, *, principal: Principal, application_id: uuid.UUID
) -> list[FieldError]:
    """Why the application cannot be submitted yet (empty when it can)."""
    case, _ = visible_application(session, principal=principal, application_id=application_id)
    return incompleteness(session, case, service_of(session, case))
