"""Forgotten passwords: ask for a link by e-mail, then choose a new password through it.

The request page answers the same whether the address has an account; the link's page sets
the password under the usual rules and every session of the account ends (app/accounts/resets).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import resets
from app.errors import DomainError, TooManyRequests
from app.http.deps import SessionDep
from app.notifications import accounts as account_mail
from app.web.context import FormDep, WebContext, WebDep
from app.web.pages import field_messages, page, see_other

router = APIRouter(tags=["web: accounts"], include_in_schema=False)

Token = Annotated[str, Query(max_length=200)]


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_page(web: WebDep, session: SessionDep, sent: str = "") -> HTMLResponse:
    return _forgot(web, session, values={}, errors={}, sent=bool(sent))


@router.post("/password/forgot", response_class=HTMLResponse)
def forgot(request: Request, web: WebDep, form: FormDep, session: SessionDep) -> Response:
    email = str(form.get("email", "")).strip()[:254]
    ip = request.client.host if request.client else None
    try:
        account_mail.request_password_reset(
            session, settings=web.runtime.settings, email=email, ip=ip
        )
    except TooManyRequests as error:
        answer = _forgot(
            web,
            session,
            values={"email": email},
            errors={"email": (error.detail or error.title).in_lang(web.lang)},
            status_code=429,
        )
        answer.headers.update(error.headers)
        return answer
    return see_other(web, "/password/forgot?sent=1")


def _forgot(
    web: WebContext,
    session,
    *,
    values: dict,
    errors: dict,
    sent: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        web,
        "auth/forgot.html",
        {
            "values": values,
            "errors": errors,
            "sent": sent,
            "by_email": account_mail.can_reset_by_email(session),
            "minutes": web.runtime.settings.password_reset_minutes,
        },
        status_code=status_code,
    )


@router.get("/password/reset", response_class=HTMLResponse)
def reset_page(web: WebDep, session: SessionDep, token: Token = "") -> HTMLResponse:
    try:
        resets.check(session, token=token)
    except resets.ResetLinkInvalid as error:
        return _link_invalid(web, error)
    return page(web, "auth/reset.html", {"token": token, "errors": {}, "invalid": None})


@router.post("/password/reset", response_class=HTMLResponse)
def reset(web: WebDep, form: FormDep, session: SessionDep) -> Response:
    token = str(form.get("token", ""))[:200]
    try:
        resets.reset_password(
            session,
            passwords=web.runtime.passwords,
            token=token,
            new=str(form.get("new_password", "")),
        )
    except resets.ResetLinkInvalid as error:
        return _link_invalid(web, error)
    except DomainError as error:
        return page(
            web,
            "auth/reset.html",
            {"token": token, "errors": field_messages(error, web.lang), "invalid": None},
            status_code=error.status,
        )
    if web.user is not None:
        web.signed_out()  # this browser's session ended with all the others
    return see_other(web, "/login?reset=1")


def _link_invalid(web: WebContext, error: resets.ResetLinkInvalid) -> HTMLResponse:
    return page(
        web,
        "auth/reset.html",
        {"token": "", "errors": {}, "invalid": error.title.in_lang(web.lang)},
        status_code=error.status,
    )
