"""The citizen portal: apply, fill in, upload, submit, follow, answer a revision, withdraw.

Routes parse the form, call one shared service function with ``web.principal`` (the JSON API's
rules and authorisation: another person's application is a 404) and render. A refused form is
shown again with the messages and the person's input; a stale version shows the current state.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from app.applications import documents, fees, service, transitions
from app.applications.schemas import ApplicationCreate
from app.cases.documents import MAX_OBJECTION_DOCUMENTS, OBJECTION
from app.cases.schemas import TransitionRequest
from app.catalogue.forms import raw_inputs, shown_values
from app.db import Session, savepoint
from app.errors import Conflict, DomainError, Msg, invalid
from app.http import downloads
from app.http.deps import SessionDep
from app.http.pipeline import audited_read
from app.portal.citizen import views as citizen_views
from app.web import kept
from app.web.context import CitizenDep, FormDep, WebContext
from app.web.pages import field_messages, page, see_other
from app.web.wording import file_size, file_types

router = APIRouter(tags=["web: citizen"], include_in_schema=False)
# The edit page's file inputs: documents.<requirement code>.
DOCUMENT_PREFIX = "documents."

STALE = Msg(
    "Permohonan ini sudah berubah sejak halaman dibuka (misalnya petugas sudah memprosesnya). "
    "Berikut keadaannya saat ini; periksa lalu coba lagi bila masih perlu.",
    "This application changed after you opened the page (an officer may have acted on it). "
    "This is its current state; check it and try again if still needed.",
)


def _url(application_id: uuid.UUID, suffix: str = "") -> str:
    return f"/my/applications/{application_id}{suffix}"


def _version(form) -> int:
    raw = form.get("version")
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 10:
        return int(raw)
    raise invalid(
        "version",
        "Versi formulir tidak valid; muat ulang halaman",
        "Invalid form version; reload the page",
    )


# --- apply --------------------------------------------------------------------------------------


@router.post("/services/{code}/apply")
def apply(
    web: CitizenDep, form: FormDep, session: SessionDep, code: str = Path(max_length=16)
) -> RedirectResponse:
    """Start a draft and go straight to its form."""
    created = service.create_application(
        session, principal=web.principal, request=ApplicationCreate(service_code=code)
    )
    return see_other(web, _url(created.id, "/edit"))


@router.get("/services/{code}/apply")
def apply_again(web: CitizenDep, code: str = Path(max_length=16)) -> RedirectResponse:
    # Where signing in after pressing "Apply" lands: the service page, to press it again.
    return see_other(web, f"/services/{code}")


# --- my applications ----------------------------------------------------------------------------


@router.get("/my/applications", response_class=HTMLResponse)
def my_applications(
    web: CitizenDep, session: SessionDep, cursor: str | None = None
) -> HTMLResponse:
    listing = citizen_views.my_applications(
        session, principal=web.principal, lang=web.lang, cursor=(cursor or None)
    )
    return page(web, "citizen/list.html", {"listing": listing})


def _view(web: WebContext, session: Session, application_id: uuid.UUID):
    return citizen_views.application_view(
        session,
        principal=web.principal,
        application_id=application_id,
        lang=web.lang,
        issuer=web.runtime.certificates,
    )


@router.get("/my/applications/{application_id}", response_class=HTMLResponse)
def application_page(
    web: CitizenDep, session: SessionDep, application_id: uuid.UUID, done: str | None = None
) -> HTMLResponse:
    view = _view(web, session, application_id)
    return page(web, "citizen/application.html", _page_values(view, web.lang, done=done))


def _page_values(
    view: citizen_views.ApplicationView,
    lang: str,
    *,
    errors: dict | None = None,
    notice: str | None = None,
    done: str | None = None,
    comment: str = "",
) -> dict[str, Any]:
    return {
        "view": view,
        "app": view.application,
        "errors": errors or {},
        "notice": notice,
        "done": done,
        "comment": comment,
        "values": shown_values(view.application.data),
        "file_types": file_types,
        "file_size": lambda size: file_size(size, lang),
        "reissue_url": lambda invoice: (
            f"/my/applications/{view.application.id}/invoices/{invoice.id}/reissue"
        ),
    }


def _explain(error: DomainError | ValidationError, lang: str) -> tuple[dict, str | None, int]:
    """(messages by input, a notice about the current state, status) for a refused form."""
    if isinstance(error, ValidationError):
        return field_messages(error, lang), None, 422
    if isinstance(error, Conflict):
        notice = STALE.in_lang(lang)
        if error.detail is not None:
            notice = f"{notice} ({error.detail.in_lang(lang)})"
        return {}, notice, error.status
    errors = field_messages(error, lang)
    return errors or {"form": error.title.in_lang(lang)}, None, error.status


def _again(
    web: WebContext,
    session: Session,
    application_id: uuid.UUID,
    template: str,
    error: DomainError | ValidationError,
    **values,
) -> HTMLResponse:
    """The page again after a refusal, read afresh: what is stored now, and why it was refused."""
    session.expire_all()  # another request may have moved the application meanwhile
    view = _view(web, session, application_id)
    errors, notice, status = _explain(error, web.lang)
    if notice is not None or not view.editable:
        template = "citizen/application.html"  # the form no longer applies: show the state
    context = _page_values(view, web.lang, errors=errors, notice=notice)
    context.update(values)
    return page(web, template, context, status_code=status)


# --- filling in ---------------------------------------------------------------------------------


@router.get("/my/applications/{application_id}/edit", response_class=HTMLResponse)
def edit_page(
    web: CitizenDep, session: SessionDep, application_id: uuid.UUID, saved: str | None = None
) -> Response:
    view = _view(web, session, application_id)
    if not view.editable:
        return see_other(web, _url(application_id))
    values = _page_values(view, web.lang, done="saved" if saved == "1" else None)
    restored = kept.take(web)
    if restored is not None:  # typed before the session ended: shown again, not yet saved
        values["values"] |= raw_inputs(restored.fields)
        values["kept_notice"] = kept.notice(restored, web.lang)
    return page(web, "citizen/edit.html", values)


@router.post("/my/applications/{application_id}/data", response_class=HTMLResponse)
def save_data(
    web: CitizenDep, form: FormDep, session: SessionDep, application_id: uuid.UUID
) -> Response:
    """The whole edit page: its answers and every file chosen, whichever button was pressed."""
    return _save_everything(web, form, session, application_id, anchor="")


@router.post("/my/applications/{application_id}/documents", response_class=HTMLResponse)
def upload(
    web: CitizenDep, form: FormDep, session: SessionDep, application_id: uuid.UUID
) -> Response:
    """An upload button: the same as saving (the answers typed are saved with the file), back at
    the document. Also takes one ``file`` for a ``requirement`` (a form of its own)."""
    requirement = str(form.get("requirement", ""))[:32]
    return _save_everything(web, form, session, application_id, anchor=f"#doc-{requirement}")


def _save_everything(
    web: WebContext, form, session: Session, application_id: uuid.UUID, *, anchor: str
) -> Response:
    """Save the answers (when the form carries them), then each chosen file, each in its own
    savepoint: a refused file keeps the answers saved, refused answers keep the files stored,
    and the page shows every problem at once with the input kept."""
    errors: dict[str, str] = {}
    answers_refused: DomainError | None = None
    if "version" in form:
        try:
            with savepoint(session):
                citizen_views.save_form(
                    session,
                    principal=web.principal,
                    application_id=application_id,
                    form=form,
                    version=_version(form),
                )
        except DomainError as error:
            answers_refused = error
            if isinstance(error, Conflict):  # the application moved on: nothing more to do
                return _again(web, session, application_id, "citizen/edit.html", error)
            errors.update(_explain(error, web.lang)[0])
    refused = _upload_chosen(web, form, session, application_id, errors)
    if refused is not None and isinstance(refused, Conflict):
        return _again(web, session, application_id, "citizen/edit.html", refused)
    first = answers_refused or refused
    if first is None:
        suffix = "/edit?saved=1" if not anchor else f"/edit{anchor}"
        return see_other(web, _url(application_id, suffix))
    extra: dict[str, Any] = {"errors": errors}
    if answers_refused is not None:
        extra["values"] = raw_inputs(form)
    return _again(web, session, application_id, "citizen/edit.html", first, **extra)


def _chosen_files(form) -> list[tuple[str, UploadFile | None]]:
    """(requirement, file) for every document input of the page; a lone ``requirement`` +
    ``file`` pair too. A requirement named with no file chosen is an error."""
    chosen: list[tuple[str, UploadFile | None]] = [
        (name.removeprefix(DOCUMENT_PREFIX)[:32], sent)
        for name, sent in form.multi_items()
        if name.startswith(DOCUMENT_PREFIX) and isinstance(sent, UploadFile) and sent.filename
    ]
    requirement = str(form.get("requirement", ""))[:32]
    if requirement and requirement not in {code for code, _ in chosen}:
        sent = form.get("file")
        chosen.append((requirement, sent if isinstance(sent, UploadFile) else None))
    return chosen


def _upload_chosen(
    web: WebContext, form, session: Session, application_id: uuid.UUID, errors: dict[str, str]
) -> DomainError | None:
    """Store each chosen file; a refusal's message lands next to that document's input."""
    first: DomainError | None = None
    for requirement, sent in _chosen_files(form):
        try:
            if sent is None:
                raise invalid("file", "Pilih berkas untuk diunggah", "Choose a file to upload")
            # A refused upload may fail after writing (a concurrent change to the application):
            # the savepoint takes back the superseded document and the stored file with it.
            with savepoint(session):
                documents.upload_document(
                    session,
                    files=web.runtime.files,
                    settings=web.runtime.settings,
                    principal=web.principal,
                    application_id=application_id,
                    requirement=requirement,
                    filename=sent.filename,
                    stream=sent.file,
                )
        except DomainError as error:
            if isinstance(error, Conflict):
                return error
            messages, _, _ = _explain(error, web.lang)
            errors[f"upload-{requirement}"] = " ".join(messages.values())
            first = first or error
    return first


@router.post("/my/applications/{application_id}/autosave")
def autosave(
    web: CitizenDep, form: FormDep, session: SessionDep, application_id: uuid.UUID
) -> JSONResponse:
    """Where JavaScript runs, the form is saved on leaving a field: the answers that are valid
    are kept (the rest are said when the person presses Save). Answers the new version."""
    try:
        with savepoint(session):
            saved = citizen_views.autosave_form(
                session,
                principal=web.principal,
                application_id=application_id,
                form=form,
                version=_version(form),
            )
    except DomainError as error:
        return JSONResponse({"saved": False}, status_code=error.status)
    return JSONResponse({"saved": True, "version": saved.version})


@router.get("/my/applications/{application_id}/documents/{document_id}")
@audited_read
def download_document(
    web: CitizenDep, session: SessionDep, application_id: uuid.UUID, document_id: uuid.UUID
) -> FileResponse:
    document, path = documents.open_document(
        session,
        files=web.runtime.files,
        principal=web.principal,
        application_id=application_id,
        document_id=document_id,
    )
    return downloads.document_response(document, path)


# --- workflow actions ---------------------------------------------------------------------------


@router.post(
    "/my/applications/{application_id}/invoices/{invoice_id}/reissue",
    response_class=HTMLResponse,
)
def reissue_invoice(
    web: CitizenDep,
    form: FormDep,
    session: SessionDep,
    application_id: uuid.UUID,
    invoice_id: uuid.UUID,
) -> Response:
    """A new bill for an expired one (same amount, new virtual account number)."""
    try:
        with savepoint(session):
            fees.reissue_invoice(
                session,
                principal=web.principal,
                application_id=application_id,
                invoice_id=invoice_id,
                lang=web.lang,
            )
    except DomainError as error:
        return _again(web, session, application_id, "citizen/application.html", error)
    return see_other(web, _url(application_id, "?done=reissue"))


@router.post("/my/applications/{application_id}/actions", response_class=HTMLResponse)
def take_action(
    web: CitizenDep, form: FormDep, session: SessionDep, application_id: uuid.UUID
) -> Response:
    """Submit, resubmit (with an optional answer to the officer) or withdraw."""
    action = str(form.get("action", ""))
    comment = str(form.get("comment", "")).strip()[:4000]
    try:
        if action not in citizen_views.CITIZEN_ACTIONS:
            raise invalid("action", "Tindakan tidak dikenal", "Unknown action")
        with savepoint(session):
            transitions.transition(
                session,
                principal=web.principal,
                application_id=application_id,
                request=TransitionRequest(
                    action=action, comment=comment or None, version=_version(form)
                ),
            )
    except (DomainError, ValidationError) as error:
        return _again(
            web, session, application_id, "citizen/application.html", error, comment=comment
        )
    return see_other(web, _url(application_id, f"?done={action}"))


@router.post("/my/applications/{application_id}/objection", response_class=HTMLResponse)
def file_objection(
    web: CitizenDep, form: FormDep, session: SessionDep, application_id: uuid.UUID
) -> Response:
    """Object to the decision (keberatan): the reason and up to five documents, all or none."""
    comment = str(form.get("comment", "")).strip()[:4000]
    chosen = [
        sent
        for sent in form.getlist("objection_files")
        if isinstance(sent, UploadFile) and sent.filename
    ]
    try:
        if len(chosen) > MAX_OBJECTION_DOCUMENTS:
            raise invalid(
                "objection_files",
                f"Lampirkan paling banyak {MAX_OBJECTION_DOCUMENTS} dokumen",
                f"Attach at most {MAX_OBJECTION_DOCUMENTS} documents",
            )
        with savepoint(session):
            transitions.transition(
                session,
                principal=web.principal,
                application_id=application_id,
                request=TransitionRequest(
                    action="object", comment=comment or None, version=_version(form)
                ),
            )
            for sent in chosen:
                documents.upload_document(
                    session,
                    files=web.runtime.files,
                    settings=web.runtime.settings,
                    principal=web.principal,
                    application_id=application_id,
                    requirement=OBJECTION,
                    filename=sent.filename,
                    stream=sent.file,
                )
    except (DomainError, ValidationError) as error:
        return _again(
            web, session, application_id, "citizen/application.html", error, comment=comment
        )
    return see_other(web, _url(application_id, "?done=object"))


@router.get("/my/applications/{application_id}/withdraw", response_class=HTMLResponse)
def withdraw_page(web: CitizenDep, session: SessionDep, application_id: uuid.UUID) -> Response:
    view = _view(web, session, application_id)
    if view.action("withdraw") is None:
        return see_other(web, _url(application_id))
    return page(web, "citizen/withdraw.html", _page_values(view, web.lang))


@router.get("/my/applications/{application_id}/certificate")
def certificate_pdf(
    web: CitizenDep, session: SessionDep, application_id: uuid.UUID
) -> FileResponse:
    certificate, path = service.application_certificate(
        session,
        principal=web.principal,
        application_id=application_id,
        issuer=web.runtime.certificates,
    )
    return downloads.certificate_response(certificate, path)
