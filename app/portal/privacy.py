"""The resident's "my data" pages: a copy of everything held (PDF, JSON), who looked at it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from app.errors import Msg, NotFound
from app.http.deps import SessionDep
from app.http.pipeline import audited_read
from app.privacy import service as privacy
from app.protection import export
from app.web.context import SignedInDep
from app.web.pages import page
from app.web.personal_data import export_response

router = APIRouter(tags=["web: privacy"], include_in_schema=False)


@router.get("/my/data", response_class=HTMLResponse)
def my_data_page(web: SignedInDep, session: SessionDep) -> HTMLResponse:
    privacy.resident_of(web.principal)
    return page(web, "privacy/my_data.html")


@router.get("/my/data/export.{suffix}")
@audited_read
def my_data_export(web: SignedInDep, session: SessionDep, suffix: str) -> Response:
    """The download itself (recorded as an export)."""
    if suffix not in ("json", "pdf"):
        raise NotFound(Msg("Halaman tidak ditemukan", "Page not found"))
    held = export.export(session, principal=web.principal)
    return export_response(held, pdf=suffix == "pdf", lang=web.lang)


@router.get("/my/data/access", response_class=HTMLResponse)
def my_data_access_page(
    web: SignedInDep, session: SessionDep, cursor: str | None = None
) -> HTMLResponse:
    """Who read the resident's personal data, newest first, a page at a time."""
    log = privacy.access_log(session, principal=web.principal, limit=50, cursor=cursor)
    return page(web, "privacy/access.html", {"rows": log.items, "next_cursor": log.next_cursor})
