"""The resident's complaint pages: report a problem (place, then the open reports like it
nearby, then the details and photos), their reports, one report with its timeline, confirming
or reopening the fix, rating the handling, following someone else's report.

Works without JavaScript: the place is asked with a GET form, so the check for reports like it
costs no retyping and no file is chosen before it. Filing and its photos are one transaction:
a refused photo files nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from app.cases import documents
from app.complaints import handling, photos, public, service
from app.complaints.kind import COMPLAINT
from app.complaints.schemas import ComplaintTransitionRequest, RatingCreate
from app.db import transaction
from app.errors import DomainError, invalid
from app.http import downloads
from app.http.deps import SessionDep
from app.http.pipeline import audited_read
from app.portal.complaints import views
from app.web.context import CitizenDep, FormDep, WebContext
from app.web.pages import field_messages, page, see_other

router = APIRouter(tags=["web: complaints"], include_in_schema=False)
Text = Annotated[str, Query(max_length=40)]


def _url(complaint_id: uuid.UUID, suffix: str = "") -> str:
    return f"/my/complaints/{complaint_id}{suffix}"


def _messages(error: DomainError | ValidationError, lang: str) -> dict[str, str]:
    messages = field_messages(error, lang)
    if not messages and isinstance(error, DomainError):
        messages = {"form": error.title.in_lang(lang)}
    return messages


# --- reporting ----------------------------------------------------------------------------------


@router.get("/lapor", response_class=HTMLResponse)
def report_page(
    web: CitizenDep,
    session: SessionDep,
    request: Request,
    category_code: Text = "",
    area_code: Text = "",
    lat: Text = "",
    long: Text = "",
    change: Text = "",
) -> HTMLResponse:
    """Step 1 (no category yet), or step 2: reports like it nearby and the details form."""
    place = views.Place.read(
        {"category_code": category_code, "area_code": area_code, "lat": lat, "long": long}
    )
    if "category_code" not in request.query_params or change:
        return _step_one(web, session, place, {})
    try:
        category, nearby = views.check_place(session, place=place, lang=web.lang)
    except DomainError as error:
        return _step_one(web, session, place, _messages(error, web.lang), status=422)
    return _step_two(web, place, category, nearby, errors={}, values={})


def _step_one(web: WebContext, session, place, errors: dict, status: int = 200) -> HTMLResponse:
    return page(
        web,
        "complaints/report.html",
        {
            "step": 1,
            "place": place,
            "errors": errors,
            "categories": views.categories(session, lang=web.lang),
            "kelurahan_groups": views.kelurahan_groups(),
        },
        status_code=status,
    )


def _step_two(
    web: WebContext, place, category, nearby, *, errors: dict, values: dict, status: int = 200
) -> HTMLResponse:
    return page(
        web,
        "complaints/report.html",
        {
            "step": 2,
            "place": place,
            "category": category,
            "nearby": nearby,
            "fields": views.fields_of(category, web.lang),
            "errors": errors,
            "values": values,
            "max_photos": photos.MAX_PHOTOS,
        },
        status_code=status,
    )


@router.post("/lapor", response_class=HTMLResponse)
def file_report(web: CitizenDep, form: FormDep, request: Request) -> Response:
    """File the report and its photos in one transaction, then show it."""
    place = views.Place.read(form)
    chosen = [
        sent for sent in form.getlist("photos") if isinstance(sent, UploadFile) and sent.filename
    ]
    try:
        with transaction(web.runtime.engine) as session:
            category, nearby = views.check_place(session, place=place, lang=web.lang)
            filed = _file(web, session, request, category, place, form, chosen)
    except (DomainError, ValidationError) as error:
        return _refused(web, place, form, error)
    return see_other(web, _url(filed, "?done=filed"))


def _file(web, session, request, category, place, form, chosen) -> uuid.UUID:
    body = views.report_request(category, place, form)
    filed = service.file_complaint(
        session,
        request=body,
        address=request.client.host if request.client else "unknown",
        limit_per_hour=web.runtime.settings.complaints_per_hour,
        principal=web.principal,
    )
    for sent in chosen:
        try:
            photos.upload_photo(
                session,
                files=web.runtime.files,
                settings=web.runtime.settings,
                principal=web.principal,
                complaint_id=filed.id,
                filename=sent.filename,
                stream=sent.file,
            )
        except DomainError as error:
            detail = (error.detail or error.title).in_lang(web.lang)
            raise invalid(
                "photos", f"{sent.filename}: {detail}", f"{sent.filename}: {detail}"
            ) from error
    return filed.id


def _refused(web: WebContext, place, form, error: DomainError | ValidationError) -> HTMLResponse:
    """The form again with every problem and the input kept (photos must be chosen again)."""
    errors = _messages(error, web.lang)
    status = error.status if isinstance(error, DomainError) else 422
    with transaction(web.runtime.engine, write=False) as session:
        try:
            category, nearby = views.check_place(session, place=place, lang=web.lang)
        except DomainError:
            return _step_one(web, session, place, errors, status=status)
        values: dict[str, Any] = {
            name: form.get(name, "") for name in ("description", "address", "email", "phone")
        }
        values |= {k.removeprefix("data."): v for k, v in form.items() if k.startswith("data.")}
        return _step_two(web, place, category, nearby, errors=errors, values=values, status=status)


@router.post("/laporan/{reference}/follow")
def follow(web: CitizenDep, form: FormDep, reference: str) -> Response:
    with transaction(web.runtime.engine) as session:
        followed = public.follow(session, principal=web.principal, reference=reference[:40])
    return see_other(web, f"/my/complaints?followed={followed.reference}")


# --- the resident's reports ---------------------------------------------------------------------


@router.get("/my/complaints", response_class=HTMLResponse)
def my_complaints(
    web: CitizenDep,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    followed: Text = "",
) -> HTMLResponse:
    rows, next_cursor = views.my_complaints(
        session, principal=web.principal, lang=web.lang, cursor=cursor or None
    )
    return page(
        web,
        "complaints/mine.html",
        {"rows": rows, "next_cursor": next_cursor, "followed": followed},
    )


def _resident_page(
    web: WebContext, session, complaint_id: uuid.UUID, *, status: int = 200, **extra
) -> HTMLResponse:
    view = views.resident_view(
        session, principal=web.principal, complaint_id=complaint_id, lang=web.lang
    )
    values = {"view": view, "c": view.complaint, "errors": {}, "done": "", "failed": None}
    return page(web, "complaints/resident.html", values | extra, status_code=status)


@router.get("/my/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(
    web: CitizenDep, session: SessionDep, complaint_id: uuid.UUID, done: Text = ""
) -> HTMLResponse:
    return _resident_page(web, session, complaint_id, done=done)


@router.get("/my/complaints/{complaint_id}/photos/{document_id}")
@audited_read
def photo(
    web: CitizenDep, session: SessionDep, complaint_id: uuid.UUID, document_id: uuid.UUID
) -> FileResponse:
    document, path = documents.open_document(
        session,
        files=web.runtime.files,
        principal=web.principal,
        kind=COMPLAINT,
        case_id=complaint_id,
        document_id=document_id,
    )
    return downloads.document_response(document, path, view=True)


@router.post("/my/complaints/{complaint_id}/act", response_class=HTMLResponse)
def act(web: CitizenDep, form: FormDep, complaint_id: uuid.UUID) -> Response:
    """Confirm the fix, or reopen it (with what is still wrong)."""
    action = str(form.get("action", ""))[:32]
    comment = str(form.get("comment", "")).replace("\r\n", "\n").strip()
    try:
        if action not in views.REPORTER_ACTIONS:
            raise invalid("action", "Tindakan tidak dikenal", "Unknown action")
        request = ComplaintTransitionRequest(
            action=action, comment=comment or None, version=_number(form.get("version"))
        )
        with transaction(web.runtime.engine) as session:
            handling.transition(
                session, principal=web.principal, complaint_id=complaint_id, request=request
            )
    except (DomainError, ValidationError) as error:
        return _again(web, complaint_id, error, failed={"action": action, "comment": comment})
    return see_other(web, _url(complaint_id, f"?done={action}"))


@router.post("/my/complaints/{complaint_id}/rating", response_class=HTMLResponse)
def rate(web: CitizenDep, form: FormDep, complaint_id: uuid.UUID) -> Response:
    comment = str(form.get("comment", "")).replace("\r\n", "\n").strip()
    try:
        request = RatingCreate(score=_number(form.get("score")), comment=comment or None)
        with transaction(web.runtime.engine) as session:
            handling.rate(
                session, principal=web.principal, complaint_id=complaint_id, request=request
            )
    except (DomainError, ValidationError) as error:
        return _again(web, complaint_id, error, failed={"action": "rate", "comment": comment})
    return see_other(web, _url(complaint_id, "?done=rated"))


def _again(web: WebContext, complaint_id: uuid.UUID, error, *, failed: dict) -> HTMLResponse:
    status = error.status if isinstance(error, DomainError) else 422
    with transaction(web.runtime.engine, write=False) as session:
        return _resident_page(
            web,
            session,
            complaint_id,
            status=status,
            errors=_messages(error, web.lang),
            failed=failed,
        )


def _number(raw: object) -> int:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 10 else 0
