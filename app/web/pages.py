"""Answers of web routes: pages, redirects after a POST, error pages, form errors."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.accounts import sessions
from app.errors import DomainError, Msg
from app.web.context import WebContext, login_url
from app.web.i18n import page_language
from app.web.templating import SECURITY_HEADERS, render_page

log = logging.getLogger("loket")
KEPT_FORM_COOKIE = "loket_kept_form"  # app/web/kept.py

# Paths served as JSON (problem+json on error); everything else is a page.
API_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/open-data/", "/healthz", "/readyz")
# ...except these, which a resident's browser opens (the app sends it there).
PAGE_PATHS = ("/oauth/authorize", "/oauth/consent")


def page(
    context: WebContext, name: str, values: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render ``name`` for the caller: user, language and CSRF token are in every template."""
    response = render_page(
        context.request,
        name,
        {"web": context, **(values or {})},
        lang=context.lang,
        status_code=status_code,
    )
    return _with_session_cookie(context, response)


def see_other(context: WebContext, url: str) -> RedirectResponse:
    """The answer to a successful POST: go to ``url`` with GET (no resubmission on reload)."""
    return _with_session_cookie(context, RedirectResponse(url, status_code=303))


def _with_session_cookie(context: WebContext, response: Response) -> Any:
    settings = context.runtime.settings
    if context.clear_kept_form:
        response.delete_cookie(
            KEPT_FORM_COOKIE, httponly=True, samesite="lax", secure=settings.secure_cookies
        )
    name = sessions.cookie_name(settings)
    if context.new_token:
        response.set_cookie(
            name,
            context.new_token,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
    elif context.clear_cookie:
        response.delete_cookie(
            name, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
        )
    return response


def field_messages(error: DomainError | ValidationError, lang: str) -> dict[str, str]:
    """Error messages by form field name, for showing next to the field."""
    if isinstance(error, ValidationError):
        from app.http.problems import pydantic_message

        return {
            ".".join(str(part) for part in item["loc"]) or "form": pydantic_message(item, lang)
            for item in error.errors()
        }
    messages = {item.field: item.message.in_lang(lang) for item in error.errors}
    if not messages and error.detail is not None:
        messages["form"] = error.detail.in_lang(lang)
    return messages


def is_page_request(request: Request) -> bool:
    path = request.url.path
    return path in PAGE_PATHS or not path.startswith(API_PREFIXES)


def error_page(
    request: Request,
    *,
    status: int,
    title: Msg,
    detail: Msg | None = None,
    headers: dict | None = None,
) -> HTMLResponse:
    """An error as a page in the caller's language: what happened, never a stack trace."""
    web = getattr(request.state, "web", None)  # set once the route's context was loaded
    lang = web.lang if web else page_language(request)
    response = render_page(
        request,
        "error.html",
        {
            "status": status,
            "title": title.in_lang(lang),
            "detail": detail.in_lang(lang) if detail else None,
            "web": web,
        },
        lang=lang,
        status_code=status,
    )
    for name, value in (headers or {}).items():
        if name.lower() not in {key.lower() for key in SECURITY_HEADERS}:
            response.headers[name] = value
    return response


def login_redirect(request: Request, next_url: str) -> RedirectResponse:
    return RedirectResponse(login_url(next_url), status_code=303)
