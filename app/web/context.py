"""What every web route starts from: the caller's session, user and language.

``WebDep`` for any page, ``SignedInDep``/``CitizenDep``/``OfficerDep``/``AdminDep`` for pages that
need an account (a lost session sends the browser to the login page and back), and ``FormDep``
for every POST: it checks the CSRF token and the request's origin before the route runs.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from app import logs
from app.accounts import sessions
from app.accounts.principal import ADMIN, CITIZEN, OFFICER, Principal
from app.db import transaction
from app.errors import DomainError, Forbidden, Msg
from app.models import User
from app.notifications import inbox
from app.oauth.service import USER_SCOPES
from app.runtime import Runtime
from app.web.i18n import page_language

WEB_CLIENT_ID = "loket-web"


class LoginRequired(Exception):
    """No live session: answered with a redirect to the login page that comes back here."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PasswordChangeRequired(Exception):
    """The account's password was chosen by someone else (the counter's one-time password):
    every signed-in page sends the person to choose their own first."""


# Where an account that must change its password may go (signing out needs no account).
PASSWORD_CHANGE_PATHS = ("/account", "/account/password")


class CsrfRejected(DomainError):
    status = 403
    slug = "csrf-rejected"
    title = Msg(
        "Formulir kedaluwarsa atau dikirim dari situs lain; muat ulang halaman lalu coba lagi",
        "The form expired or came from another site; reload the page and try again",
    )


@dataclass
class WebContext:
    request: Request
    runtime: Runtime
    lang: str
    active: sessions.ActiveSession | None
    # A token to send as the session cookie with the response (a new or rotated session).
    new_token: str | None = None
    # Set when the session must be cleared in the browser (logout).
    clear_cookie: bool = False
    # Set when the page used the form kept across a lost session (app/web/kept.py).
    clear_kept_form: bool = False
    _unread: int | None = None

    @property
    def user(self) -> User | None:
        return self.active.user if self.active else None

    @property
    def principal(self) -> Principal:
        """The signed-in user as the service layer knows callers (same rules as the API)."""
        if self.user is None:
            raise LoginRequired(self.request.url.path)
        return Principal(user=self.user, client_id=WEB_CLIENT_ID, scopes=USER_SCOPES)

    def csrf_token(self) -> str:
        """The token for a form on this page; starts an anonymous session when there is none."""
        if self.active is None:
            with transaction(self.runtime.engine) as session:
                self.active = sessions.start(session, self.runtime.settings, user=None)
            self.new_token = self.active.token
        return self.active.record.csrf_token

    def unread_notifications(self) -> int:
        """The header's count of the signed-in person's unread notifications (one COUNT on an
        index, asked once per page and only by pages that show the header)."""
        if self.user is None:
            return 0
        if self._unread is None:
            with transaction(self.runtime.engine, write=False) as session:
                self._unread = inbox.unread_count(session, user_id=self.user.id)
        return self._unread

    def sends_email(self) -> bool:
        """Whether this deployment sends e-mail: pages promise one only then."""
        return self.runtime.settings.sends_email

    def signed_in(self, active: sessions.ActiveSession) -> None:
        self.active = active
        self.new_token = active.token

    def signed_out(self) -> None:
        self.active = None
        self.new_token = None
        self.clear_cookie = True


def web_context(request: Request) -> WebContext:
    runtime: Runtime = request.app.state.runtime
    token = request.cookies.get(sessions.cookie_name(runtime.settings))
    active = None
    if token:
        # Its own short transaction: the page's transaction may be a read-only one.
        with transaction(runtime.engine) as session:
            active = sessions.load(session, runtime.settings, token)
        if active is not None and active.user is not None:
            logs.note_actor(active.user.id)
    context = WebContext(
        request=request, runtime=runtime, lang=page_language(request), active=active
    )
    request.state.web = context  # so that an error page can still show who is signed in
    return context


WebDep = Annotated[WebContext, Depends(web_context)]


def _signed_in(context: WebDep) -> WebContext:
    if context.user is None:
        raise LoginRequired(_here(context.request))
    if context.user.must_change_password and context.request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired()
    return context


def _role(*roles: str):
    def check(context: Annotated[WebContext, Depends(_signed_in)]) -> WebContext:
        assert context.user is not None
        if context.user.role not in roles:
            raise Forbidden(
                Msg("Halaman ini bukan untuk akun Anda", "This page is not for your account")
            )
        return context

    return check


SignedInDep = Annotated[WebContext, Depends(_signed_in)]
CitizenDep = Annotated[WebContext, Depends(_role(CITIZEN))]
OfficerDep = Annotated[WebContext, Depends(_role(OFFICER))]
AdminDep = Annotated[WebContext, Depends(_role(ADMIN))]


def _here(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def login_url(next_url: str) -> str:
    return f"/login?next={quote(safe_next(next_url), safe='/')}"


def safe_next(candidate: str | None, default: str = "/") -> str:
    """A local path to return to; anything that could leave the site becomes ``default``."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return default
    if "\\" in candidate or any(ord(ch) < 32 for ch in candidate):
        return default
    parts = urlsplit(candidate)
    return default if parts.scheme or parts.netloc else candidate


async def checked_form(request: Request, context: WebDep) -> FormData:
    """The POSTed form, once its origin and CSRF token are known to be ours."""
    check_origin(request, context.runtime)
    form = await request.form()
    sent = form.get("csrf_token")
    expected = context.active.record.csrf_token if context.active else None
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfRejected()
    return form


def check_origin(request: Request, runtime: Runtime) -> None:
    """Refuse cross-site posts by the browser's own word (Sec-Fetch-Site, then Origin)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:  # set by the browser itself; a page cannot forge it
        if fetch_site not in ("same-origin", "none"):
            raise CsrfRejected()
        return
    origin = request.headers.get("origin")
    if origin is not None and origin not in _own_origins(request, runtime):
        raise CsrfRejected()


def _own_origins(request: Request, runtime: Runtime) -> set[str]:
    public = urlsplit(runtime.settings.public_base_url)
    own = {f"{public.scheme}://{public.netloc}"}
    host = request.headers.get("host")
    if host:  # the address the browser used (a local run, a test server on a free port)
        own.add(f"{request.url.scheme}://{host}")
    return own


FormDep = Annotated[FormData, Depends(checked_form)]
