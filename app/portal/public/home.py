"""The landing page and the language switch."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from app.i18n import SUPPORTED
from app.web.context import WebDep, safe_next
from app.web.i18n import LANGUAGE_COOKIE
from app.web.pages import page, see_other

router = APIRouter(tags=["web"], include_in_schema=False)
ONE_YEAR = 365 * 24 * 3600


@router.get("/", response_class=HTMLResponse)
def landing(web: WebDep) -> HTMLResponse:
    return page(web, "public/home.html")


@router.get("/lang/{code}")
def switch_language(web: WebDep, code: str, next: str | None = None) -> RedirectResponse:
    """Remember the chosen language in a cookie (not personal data, so no session needed)."""
    response = see_other(web, safe_next(next))
    if code in SUPPORTED:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=ONE_YEAR,
            samesite="lax",
            httponly=True,
            path="/",
            secure=web.runtime.settings.secure_cookies,
        )
    return response
