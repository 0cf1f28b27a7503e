"""Errors on pages: the same exceptions as the API, answered as HTML pages instead of JSON.

``for_pages`` wraps each API handler: requests to the JSON surfaces keep their problem+json,
page requests get an error page (or, for a lost session, the login page).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from app.errors import DomainError, Msg
from app.http.problems import http_exception_headers
from app.web import kept
from app.web.context import LoginRequired, PasswordChangeRequired
from app.web.pages import error_page, is_page_request, login_redirect

log = logging.getLogger("loket")

Handler = Callable[[Request, Exception], Awaitable[Response]]
E = TypeVar("E", bound=Exception)

FIRST_PASSWORD_URL = "/account?first=1"

HTTP_TITLES = {
    404: Msg("Halaman tidak ditemukan", "Page not found"),
    405: Msg("Metode tidak diizinkan", "Method not allowed"),
}


def page_for(request: Request, exc: Exception) -> Response:
    """The error page for ``exc``."""
    if isinstance(exc, LoginRequired):
        return login_redirect(request, exc.next_url)
    if isinstance(exc, PasswordChangeRequired):
        return RedirectResponse(FIRST_PASSWORD_URL, status_code=303)
    if isinstance(exc, DomainError):
        return error_page(
            request, status=exc.status, title=exc.title, detail=exc.detail, headers=exc.headers
        )
    if isinstance(exc, RequestValidationError | DataError):
        return error_page(request, status=422, title=Msg("Data tidak valid", "Invalid input"))
    if isinstance(exc, StarletteHTTPException):
        title = HTTP_TITLES.get(exc.status_code, Msg("Permintaan ditolak", "Request refused"))
        headers = http_exception_headers(request, exc)
        return error_page(request, status=exc.status_code, title=title, headers=headers)
    if isinstance(exc, IntegrityError):
        return error_page(
            request,
            status=409,
            title=Msg(
                "Konflik dengan data yang ada; coba lagi",
                "Conflict with existing data; please retry",
            ),
        )
    log.exception("unhandled error on page %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(
        request,
        status=500,
        title=Msg(
            "Terjadi kesalahan di server; tidak ada data yang berubah",
            "Server error; nothing was changed",
        ),
    )


def for_pages(api_handler: Callable[[Request, E], Awaitable[Response]] | None) -> Handler:
    """``api_handler`` for the JSON surfaces, an error page for everything else."""

    async def handle(request: Request, exc: Exception) -> Response:
        if is_page_request(request) or api_handler is None:
            if isinstance(exc, LoginRequired) and request.method == "POST":
                return await kept.login_keeping_form(request)
            return page_for(request, exc)
        # Starlette calls a handler only for the exception class it was registered for.
        return await api_handler(request, cast(E, exc))

    return handle
