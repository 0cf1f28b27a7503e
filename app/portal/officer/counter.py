"""Assisted applications at the counter: an officer finds or creates a walk-in resident's
account, then fills in, uploads and submits an application on their behalf.

The application is created with ``applicant_email`` (the JSON API's assisted route), so it is
the resident's own and the record says which officer keyed it in. A new account gets a random
one-time password, shown once to the officer to hand to the resident on a slip.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from app.accounts import residents
from app.accounts.nik import mask_nik
from app.accounts.principal import Principal
from app.applications import documents, service, transitions
from app.applications.schemas import ApplicationCreate, ApplicationRead, ApplicationUpdate
from app.cases.schemas import TransitionRequest
from app.catalogue import service as catalogue
from app.catalogue.forms import form_fields, parse_form, raw_inputs
from app.db import Session, savepoint, transaction
from app.errors import DomainError, FieldError, Msg, NotFound, ValidationFailed
from app.http.deps import SessionDep
from app.runtime import Runtime
from app.web import kept
from app.web.context import FormDep, OfficerDep, WebContext
from app.web.pages import field_messages, page, see_other

router = APIRouter(include_in_schema=False)
RESIDENT_FIELDS = ("full_name", "nik", "email", "phone")
NOT_FOUND = Msg(
    "Tidak ada akun warga dengan data ini; buat akunnya di bawah.",
    "No resident account with these details; create it below.",
)


@router.get("/officer/assisted", response_class=HTMLResponse)
def start(web: OfficerDep) -> HTMLResponse:
    return _start_page(web, search={}, values={}, errors={})


def _start_page(
    web: WebContext, *, search: dict, values: dict, errors: dict, status_code: int = 200
) -> HTMLResponse:
    return page(
        web,
        "officer/assisted_start.html",
        {"search": search, "values": values, "errors": errors},
        status_code=status_code,
    )


@router.post("/officer/assisted/find", response_class=HTMLResponse)
def find(web: OfficerDep, form: FormDep, session: SessionDep) -> Response:
    search = {
        "email": str(form.get("email", "")).strip()[:254],
        "nik": str(form.get("nik", "")).strip()[:16],
    }
    found = residents.find_resident(session, principal=web.principal, **search)
    if found is not None:
        return see_other(web, f"/officer/assisted/{found.id}")
    return _start_page(
        web,
        search=search,
        values=search,
        errors={"search": NOT_FOUND.in_lang(web.lang)},
        status_code=404,
    )


@router.post("/officer/assisted/residents", response_class=HTMLResponse)
def create_resident(web: OfficerDep, form: FormDep) -> Response:
    values = {name: str(form.get(name, "")).strip()[:254] for name in RESIDENT_FIELDS}
    try:
        with transaction(web.runtime.engine) as session:
            user, password = residents.create_resident(
                session,
                principal=web.principal,
                passwords=web.runtime.passwords,
                email=values["email"],
                full_name=values["full_name"],
                nik=values["nik"],
                phone=values["phone"] or None,
            )
    except (DomainError, ValidationError) as error:
        return _start_page(
            web, search={}, values=values, errors=field_messages(error, web.lang), status_code=422
        )
    # Rendered, not redirected: the password is shown on this one answer and stored nowhere.
    return page(
        web,
        "officer/assisted_created.html",
        {"resident": user, "password": password},
        status_code=201,
    )


@router.get("/officer/assisted/{resident_id}", response_class=HTMLResponse)
def apply_page(
    resident_id: uuid.UUID, web: OfficerDep, session: SessionDep, service: str = ""
) -> HTMLResponse:
    context = _apply_context(session, web, resident_id, service[:16])
    restored = kept.take(web) if context["service"] else None
    if restored is None:
        return page(web, "officer/assisted_apply.html", context | {"values": {}, "errors": {}})
    # Typed before the session ended: shown again with the files a refused attempt had kept.
    draft = _kept_draft(session, web, restored.fields, context)
    context["kept_notice"] = kept.notice(restored, web.lang)
    answer = _apply_again(web, context, draft, raw_inputs(restored.fields), {})
    answer.status_code = 200
    return answer


def _apply_context(
    session: Session, web: WebContext, resident_id: uuid.UUID, code: str
) -> dict[str, Any]:
    resident = residents.resident(session, principal=web.principal, user_id=resident_id)
    if resident is None:
        raise NotFound(Msg("Warga tidak ditemukan", "Resident not found"))
    services = catalogue.list_services(session, lang=web.lang).items
    chosen = catalogue.get_service(session, code=code, lang=web.lang) if code else None
    return {
        "resident": resident,
        "nik": mask_nik(resident.nik) if resident.nik else "",
        "services": [(s.code, f"{s.code} – {s.name}") for s in services],
        "service": chosen,
        "fields": form_fields(chosen.form_schema, web.lang) if chosen else [],
    }


@router.post("/officer/assisted/{resident_id}/apply", response_class=HTMLResponse)
def apply(resident_id: uuid.UUID, web: OfficerDep, form: FormDep) -> Response:
    code = str(form.get("service_code", ""))[:16]
    with transaction(web.runtime.engine, write=False) as session:
        context = _apply_context(session, web, resident_id, code)
        draft = _kept_draft(session, web, form, context)
    chosen, resident = context["service"], context["resident"]
    data, raw = parse_form(chosen.form_schema, form)
    uploads = [
        (d.code, sent)
        for d in chosen.documents
        if isinstance(sent := form.get(f"documents.{d.code}"), UploadFile) and sent.filename
    ]
    try:
        with transaction(web.runtime.engine) as session:
            application_id = submit_on_behalf(
                session,
                principal=web.principal,
                runtime=web.runtime,
                email=resident.email,
                code=code,
                data=data,
                uploads=uploads,
                draft=draft,
            )
    except (DomainError, ValidationError) as error:
        errors = field_messages(error, web.lang)
        if uploads:  # kept as the draft's documents: nobody chooses them again
            draft = _keep_files(web, resident.email, code, draft, uploads, errors)
        return _apply_again(web, context, draft, raw, errors)
    return see_other(web, f"/officer/applications/{application_id}?done=submit")


def _kept_draft(
    session: Session, web: WebContext, form, context: dict[str, Any]
) -> ApplicationRead | None:
    """The draft an earlier refused attempt kept the files in, if the form names one of this
    resident's for this service that the officer keyed in and is still a draft."""
    try:
        draft_id = uuid.UUID(str(form.get("application_id", "")))
    except ValueError:
        return None
    try:
        draft = service.read_application(session, principal=web.principal, application_id=draft_id)
    except DomainError:
        return None
    fits = (
        draft.applicant.id == context["resident"].id
        and draft.service_code == context["service"].code
        and web.user is not None
        and draft.submitted_by_id == web.user.id
        and draft.submitted_at is None
    )
    return draft if fits else None


def _keep_files(
    web: WebContext,
    email: str,
    code: str,
    draft: ApplicationRead | None,
    uploads: list[tuple[str, UploadFile]],
    errors: dict[str, str],
) -> ApplicationRead | None:
    """Store the files that pass their checks as a draft's documents (a new draft when there is
    none yet), so that a refused attempt loses no file; a refused file's message is kept."""
    with transaction(web.runtime.engine) as session:
        if draft is None:
            draft = service.create_application(
                session,
                principal=web.principal,
                request=ApplicationCreate(service_code=code, applicant_email=email),
            )
        for requirement, upload in uploads:
            upload.file.seek(0)
            try:
                with savepoint(session):
                    _upload(session, web.principal, web.runtime, draft.id, requirement, upload)
            except DomainError as error:
                errors.update(field_messages(error, web.lang))
    return draft


def _apply_again(
    web: WebContext,
    context: dict[str, Any],
    draft: ApplicationRead | None,
    raw: dict[str, str],
    errors: dict[str, str],
) -> HTMLResponse:
    kept: dict[str, Any] = {}
    if draft is not None:
        with transaction(web.runtime.engine, write=False) as session:
            listed = documents.list_documents(
                session, principal=web.principal, application_id=draft.id
            )
        kept = {d.requirement: d for d in listed.items if d.is_current}
    return page(
        web,
        "officer/assisted_apply.html",
        context | {"values": raw, "errors": errors, "unfinished": draft, "kept": kept},
        status_code=422,
    )


def submit_on_behalf(
    session: Session,
    *,
    principal: Principal,
    runtime: Runtime,
    email: str,
    code: str,
    data: dict,
    uploads: list[tuple[str, UploadFile]],
    draft: ApplicationRead | None = None,
) -> uuid.UUID:
    """Create (or complete the kept draft), upload and submit in one transaction: the resident
    gets all of it or nothing."""
    if draft is None:
        application_id = service.create_application(
            session,
            principal=principal,
            request=ApplicationCreate(service_code=code, data=data, applicant_email=email),
        ).id
    else:
        application_id = draft.id
        service.update_application(
            session,
            principal=principal,
            application_id=application_id,
            request=ApplicationUpdate(data=data, version=draft.version),
        )
    for requirement, upload in uploads:
        _upload(session, principal, runtime, application_id, requirement, upload)
    current = service.read_application(session, principal=principal, application_id=application_id)
    transitions.transition(
        session,
        principal=principal,
        application_id=application_id,
        request=TransitionRequest(action="submit", version=current.version),
    )
    return application_id


def _upload(
    session: Session,
    principal: Principal,
    runtime: Runtime,
    application_id: uuid.UUID,
    requirement: str,
    upload: UploadFile,
) -> None:
    try:
        documents.upload_document(
            session,
            files=runtime.files,
            settings=runtime.settings,
            principal=principal,
            application_id=application_id,
            requirement=requirement,
            filename=upload.filename,
            stream=upload.file,
        )
    except ValidationFailed as error:  # name the file input, not the API's "file" field
        raise ValidationFailed(
            errors=[FieldError(f"documents.{requirement}", e.message) for e in error.errors]
        ) from None
