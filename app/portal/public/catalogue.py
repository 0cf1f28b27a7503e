"""The public catalogue pages: what can be applied for, what it takes, what one receives."""

from __future__ import annotations

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from app.catalogue import service
from app.catalogue.forms import form_fields
from app.http.deps import SessionDep
from app.web.context import WebDep
from app.web.pages import page
from app.web.wording import file_size, file_types

router = APIRouter(tags=["web: catalogue"], include_in_schema=False)


@router.get("/services", response_class=HTMLResponse)
def services_page(web: WebDep, session: SessionDep, welcome: str | None = None) -> HTMLResponse:
    groups = service.catalogue_by_department(session, lang=web.lang)
    return page(web, "catalogue/list.html", {"groups": groups, "welcome": welcome == "1"})


@router.get("/services/{code}", response_class=HTMLResponse)
def service_page(web: WebDep, session: SessionDep, code: str = Path(max_length=16)) -> HTMLResponse:
    found = service.get_service(session, code=code, lang=web.lang)
    return page(
        web,
        "catalogue/detail.html",
        {
            "service": found,
            "fields": form_fields(found.form_schema, web.lang),
            "file_types": file_types,
            "file_size": lambda size: file_size(size, web.lang),
        },
    )
