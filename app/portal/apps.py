"""The resident's side of apps that act for them: /oauth/authorize and the consent form.

These are pages of the portal (its session, CSRF and origin checks), although they live under
/oauth: an app sends the resident's browser here. Rules: app/oauth/authorize.py.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.principal import CITIZEN
from app.errors import Msg
from app.http.deps import SessionDep
from app.oauth import authorize, grants
from app.oauth.authorize import (
    AuthorizationRequest,
    AuthorizePageError,
    AuthorizeRedirectError,
)
from app.web.context import FormDep, LoginRequired, SignedInDep, WebContext, WebDep
from app.web.pages import error_page, page, see_other
from app.web.wording import scope_label

router = APIRouter(tags=["web: apps"], include_in_schema=False)

NOT_FOR_STAFF = Msg(
    "Hanya akun warga yang dapat menghubungkan aplikasi",
    "Only residents' accounts can connect apps",
)


@router.get("/oauth/authorize", response_class=HTMLResponse)
def authorize_page(request: Request, web: WebDep, session: SessionDep) -> Response:
    """Check the request, then sign the resident in, then ask (or answer at once when the
    resident already let this app have everything it asks for)."""
    try:
        params = _single_values(request.query_params.multi_items())
        checked = authorize.check_request(session, params=params)
        if web.user is None:
            if checked.prompt == "none":
                raise checked.error("login_required", Msg("Belum masuk", "Not signed in"))
            raise LoginRequired(f"{request.url.path}?{request.url.query}")
        if web.user.role != CITIZEN:
            return error_page(request, status=403, title=NOT_FOR_STAFF)
        granted = authorize.existing_grant(session, user=web.user, client=checked.client)
        if checked.prompt != "consent" and checked.scopes <= granted:
            return _redirect(_issue_code(web, session, checked, checked.scopes))
        if checked.prompt == "none":
            raise checked.error(
                "consent_required", Msg("Persetujuan diperlukan", "Consent is required")
            )
        return _consent_page(web, checked)
    except AuthorizePageError as error:
        return _refusal_page(request, error)
    except AuthorizeRedirectError as error:
        return _redirect(_error_url(web, error))


@router.post("/oauth/consent", response_class=HTMLResponse)
def consent(request: Request, web: WebDep, form: FormDep, session: SessionDep) -> Response:
    """The resident's answer: allow the ticked scopes, or refuse (access_denied)."""
    try:
        params = _single_values(
            (name, str(value)) for name, value in form.multi_items() if name in _FORWARDED
        )
        checked = authorize.check_request(session, params=params)
        if web.user is None:
            raise LoginRequired(f"/oauth/authorize?{urlencode(params)}")
        if web.user.role != CITIZEN:
            return error_page(request, status=403, title=NOT_FOR_STAFF)
        chosen = frozenset(str(value) for value in form.getlist("granted"))
        if form.get("decision") != "approve":
            chosen = frozenset()
        assert web.active is not None
        url = authorize.approve(
            session,
            request=checked,
            user=web.user,
            scopes=chosen,
            auth_time=web.active.record.created_at,
            issuer=web.runtime.settings.issuer,
        )
        return _redirect(url)
    except AuthorizePageError as error:
        return _refusal_page(request, error)
    except AuthorizeRedirectError as error:
        return _redirect(_error_url(web, error))


_FORWARDED = frozenset(authorize.PARAMETERS)


def _single_values(items) -> dict[str, str]:
    """The request's parameters; one sent twice makes the request invalid (RFC 6749 3.1),
    answered as a page since which client or redirect URI was meant is then unclear."""
    params: dict[str, str] = {}
    for name, value in items:
        if name in params:
            raise AuthorizePageError(
                "invalid_request",
                Msg(f"Parameter {name[:40]} dikirim dua kali", f"Parameter {name[:40]} sent twice"),
            )
        if len(value) > 4096 or any(ord(ch) < 32 for ch in value):
            raise AuthorizePageError(
                "invalid_request",
                Msg("Parameter tidak valid", "A parameter is too long or malformed"),
            )
        params[name] = value
    return params


def _issue_code(
    web: WebContext, session, checked: AuthorizationRequest, scopes: frozenset[str]
) -> str:
    assert web.user is not None and web.active is not None
    return authorize.issue_code(
        session,
        request=checked,
        user=web.user,
        scopes=scopes,
        auth_time=web.active.record.created_at,
        issuer=web.runtime.settings.issuer,
    )


def _consent_page(web: WebContext, checked: AuthorizationRequest) -> HTMLResponse:
    scopes = [
        {"code": scope, "label": scope_label(scope, web.lang)} for scope in sorted(checked.scopes)
    ]
    response = page(
        web,
        "apps/consent.html",
        {"client": checked.client, "scopes": scopes, "hidden": checked.hidden_fields()},
    )
    return response


def _error_url(web: WebContext, error: AuthorizeRedirectError) -> str:
    return authorize.error_url(error, issuer=web.runtime.settings.issuer, lang=web.lang)


def _redirect(url: str) -> RedirectResponse:
    # 303 after the consent POST, and fine after a GET: the app's page is fetched with GET.
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _refusal_page(request: Request, error: AuthorizePageError) -> HTMLResponse:
    return error_page(
        request,
        status=error.status,
        title=Msg("Permintaan aplikasi tidak valid", "The app's request is not valid"),
        detail=Msg(
            f"{error.description.id} ({error.error})", f"{error.description.en} ({error.error})"
        ),
    )


@router.get("/account/apps", response_class=HTMLResponse)
def connected_apps_page(web: SignedInDep, session: SessionDep, done: str | None = None):
    """The apps the resident let act for them, each with what it may do and a way out."""
    apps = grants.connected_apps(session, principal=web.principal)
    rows = [
        {"app": app, "labels": [scope_label(scope, web.lang) for scope in app.scopes]}
        for app in apps
    ]
    return page(web, "apps/connected.html", {"rows": rows, "done": done == "disconnected"})


@router.post("/account/apps/{client_id}/disconnect")
def disconnect_app(web: SignedInDep, form: FormDep, session: SessionDep, client_id: str):
    """End the grant and every token the app holds for the resident, at once."""
    grants.disconnect(
        session,
        principal=web.principal,
        client_id=client_id[:64],
        access_token_ttl_seconds=web.runtime.settings.access_token_ttl_seconds,
    )
    return see_other(web, "/account/apps?done=disconnected")
