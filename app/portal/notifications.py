"""The notifications page of residents and officers: what happened to their cases, newest
first; opening one marks it read and goes to the case, and all can be marked read at once."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from app.db import transaction
from app.http.deps import SessionDep
from app.notifications import inbox
from app.web.context import FormDep, SignedInDep
from app.web.pages import page, see_other

router = APIRouter(tags=["web: notifications"], include_in_schema=False)

# Where a notification leads, by the reader's portal and the case's type.
_CASE_PAGES = {
    ("citizen", "application"): "/my/applications/{id}",
    ("citizen", "complaint"): "/my/complaints/{id}",
    ("officer", "application"): "/officer/applications/{id}",
    ("officer", "complaint"): "/officer/complaints/{id}",
}


def case_url(role: str, case_kind: str, case_id: uuid.UUID) -> str:
    return _CASE_PAGES.get((role, case_kind), "/notifications").format(id=case_id)


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    web: SignedInDep,
    session: SessionDep,
    page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    assert web.user is not None
    found = inbox.list_for(session, user_id=web.user.id, page=page_number, lang=web.lang)
    return page(web, "notifications.html", {"notices": found})


@router.post("/notifications/read")
def mark_all_read(web: SignedInDep, form: FormDep) -> Response:
    assert web.user is not None
    with transaction(web.runtime.engine) as session:
        inbox.mark_all_read(session, user_id=web.user.id)
    return see_other(web, "/notifications")


@router.post("/notifications/{notification_id}/open")
def open_notification(web: SignedInDep, form: FormDep, notification_id: uuid.UUID) -> Response:
    """Mark it read and go to its case (someone else's notification is not found)."""
    assert web.user is not None
    with transaction(web.runtime.engine) as session:
        notice = inbox.open_one(session, user_id=web.user.id, notification_id=notification_id)
    return see_other(web, case_url(web.user.role, notice.case_kind, notice.case_id))
