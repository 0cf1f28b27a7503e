"""The officer's complaint pages: the department's reports and one report's handling (triage,
work, resolve with a note and an optional "after" photo, verify by a second officer).

Each action runs in its own transaction through the JSON API's ``handling.transition`` (and
``photos.upload_photo`` for the after photo, in the same transaction: a refused resolve keeps
no photo); a refused action shows the report as it is now with the reason.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from app.cases import documents
from app.complaints import handling, photos
from app.complaints.kind import COMPLAINT
from app.complaints.schemas import ComplaintTransitionRequest
from app.db import transaction
from app.errors import DomainError, Forbidden, InvalidTransition, NotFound, StaleVersion
from app.http import downloads
from app.http.deps import SessionDep
from app.http.pipeline import audited_read
from app.portal.complaints import officer_views
from app.web.context import FormDep, OfficerDep, WebContext
from app.web.pages import field_messages, page, see_other

router = APIRouter(tags=["web: officer complaints"], include_in_schema=False)
Text = Annotated[str, Query(max_length=100)]
RESOLVE = "resolve"


def _url(complaint_id: uuid.UUID, suffix: str = "") -> str:
    return f"/officer/complaints/{complaint_id}{suffix}"


@router.get("/officer/complaints", response_class=HTMLResponse)
def queue_page(
    web: OfficerDep,
    session: SessionDep,
    state: Text = "",
    category: Text = "",
    area: Text = "",
    assigned: Text = "",
    overdue: Text = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    filters = officer_views.QueueFilters(
        state=state,
        category=category,
        area=area,
        assigned=assigned,
        overdue=overdue in ("1", "true", "on"),
    )
    view = officer_views.officer_queue(
        session, principal=web.principal, filters=filters, cursor=cursor or None, lang=web.lang
    )
    return page(web, "complaints/queue.html", view, status_code=422 if view["errors"] else 200)


@router.get("/officer/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(
    complaint_id: uuid.UUID, web: OfficerDep, session: SessionDep, done: Text = ""
) -> HTMLResponse:
    view = officer_views.officer_view(
        session, principal=web.principal, complaint_id=complaint_id, lang=web.lang
    )
    values: dict[str, object] = {"done": done[:32], "errors": {}, "failed": None, "message": None}
    return page(web, "complaints/handle.html", view | values)


@router.get("/officer/complaints/{complaint_id}/photos/{document_id}")
@audited_read
def photo(
    complaint_id: uuid.UUID, document_id: uuid.UUID, web: OfficerDep, session: SessionDep
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


def _text(form, name: str, limit: int = 4000) -> str:
    # Browsers send textarea line breaks as CR LF; the API's plain text allows LF only.
    raw = form.get(name)
    text = raw if isinstance(raw, str) else ""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()[:limit]


@router.post("/officer/complaints/{complaint_id}/act", response_class=HTMLResponse)
def act(complaint_id: uuid.UUID, web: OfficerDep, form: FormDep) -> Response:
    action = _text(form, "action", 32)
    comment = _text(form, "comment")
    after = form.get("after_photo")
    try:
        request = ComplaintTransitionRequest(
            action=action,
            comment=comment or None,
            version=_number(form.get("version")),
            department_code=_text(form, "department_code", 16) or None,
            duplicate_of=_text(form, "duplicate_of", 40) or None,
            days=_number(form.get("days")) if form.get("days") else None,
        )
        with transaction(web.runtime.engine) as session:
            if action == RESOLVE and isinstance(after, UploadFile) and after.filename:
                photos.upload_photo(
                    session,
                    files=web.runtime.files,
                    settings=web.runtime.settings,
                    principal=web.principal,
                    complaint_id=complaint_id,
                    filename=after.filename,
                    stream=after.file,
                )
            handling.transition(
                session,
                principal=web.principal,
                complaint_id=complaint_id,
                request=request,
                lang=web.lang,
            )
    except NotFound:
        raise
    except (DomainError, ValidationError) as error:
        return _refused(web, complaint_id, action=action, comment=comment, error=error)
    return see_other(web, _url(complaint_id, f"?done={action}"))


def _number(raw: object) -> int:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 10 else 0


def _refused(
    web: WebContext,
    complaint_id: uuid.UUID,
    *,
    action: str,
    comment: str,
    error: DomainError | ValidationError,
) -> HTMLResponse:
    """The report as it is now, with why the action was refused."""
    with transaction(web.runtime.engine, write=False) as session:
        view = officer_views.officer_view(
            session, principal=web.principal, complaint_id=complaint_id, lang=web.lang
        )
    errors: dict[str, str] = {}
    if isinstance(error, StaleVersion | InvalidTransition | Forbidden):
        message = (error.detail or error.title).in_lang(web.lang)
    else:
        errors = field_messages(error, web.lang)
        message = errors.pop("form", "") or " ".join(errors.values())
    status = error.status if isinstance(error, DomainError) else 422
    values = {
        "done": "",
        "errors": errors,
        "message": message,
        "failed": {"action": action, "comment": comment},
    }
    return page(web, "complaints/handle.html", view | values, status_code=status)
