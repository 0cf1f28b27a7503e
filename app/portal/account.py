"""Sign in, sign out and self-registration pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.accounts import devices, service, sessions
from app.accounts.principal import ADMIN, OFFICER
from app.accounts.schemas import RegisterRequest
from app.errors import DomainError, Msg
from app.http.deps import RegistrationThrottled, SessionDep
from app.models import User
from app.web.context import FormDep, SignedInDep, WebContext, WebDep, safe_next
from app.web.errors import FIRST_PASSWORD_URL
from app.web.pages import field_messages, page, see_other

router = APIRouter(tags=["web: accounts"], include_in_schema=False)

REFUSED = Msg("E-mail atau kata sandi salah", "Wrong e-mail or password")
REGISTER_FIELDS = ("email", "full_name", "nik", "phone")


def home_of(user: User) -> str:
    """Where an account lands after signing in."""
    return {OFFICER: "/officer", ADMIN: "/admin"}.get(user.role, "/my/applications")


@router.get("/login", response_class=HTMLResponse)
def login_page(web: WebDep, next: str | None = None) -> Response:
    if web.user is not None:
        return see_other(web, safe_next(next, home_of(web.user)))
    return page(
        web,
        "auth/login.html",
        {
            "next": safe_next(next, ""),
            "values": {},
            "errors": {},
            "reset": "reset" in web.request.query_params,
        },
    )


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, web: WebDep, form: FormDep) -> Response:
    email, password = str(form.get("email", ""))[:254], str(form.get("password", ""))[:512]
    next_url = safe_next(str(form.get("next", "")), "")
    ip = request.client.host if request.client else None
    try:
        active = sessions.sign_in(
            web.runtime,
            email=email,
            password=password,
            ip=ip,
            replacing=web.active.token if web.active else None,
            device_token=request.cookies.get(devices.cookie_name(web.runtime.settings)),
        )
    except DomainError as error:  # throttled: say how long to wait
        answer = _login_again(web, email, next_url, field_messages(error, web.lang), error.status)
        answer.headers.update(error.headers)  # Retry-After
        return answer
    if active is None or active.user is None:
        return _login_again(web, email, next_url, {"form": REFUSED.in_lang(web.lang)}, 400)
    web.signed_in(active)
    # A password someone else chose (at the counter) is replaced before anything else.
    target = FIRST_PASSWORD_URL if active.user.must_change_password else None
    target = target or next_url or home_of(active.user)
    return _with_device_cookie(web, see_other(web, target), active)


def _login_again(web: WebContext, email: str, next_url: str, errors: dict, status: int):
    return page(
        web,
        "auth/login.html",
        {"next": next_url, "values": {"email": email}, "errors": errors},
        status_code=status,
    )


def _with_device_cookie(
    web: WebContext, response: Response, active: sessions.ActiveSession
) -> Response:
    """Remember this browser as a device of the account (app/accounts/devices.py). Strict: no
    other site's request carries it, and only the login form reads it."""
    if active.device_token:
        settings = web.runtime.settings
        response.set_cookie(
            devices.cookie_name(settings),
            active.device_token,
            max_age=int(devices.LIFETIME.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            path="/",
        )
    return response


@router.post("/logout")
def logout(web: WebDep, form: FormDep, session: SessionDep) -> RedirectResponse:
    if web.active is not None:
        sessions.end(session, web.active.token)
    web.signed_out()
    return see_other(web, "/")


@router.get("/register", response_class=HTMLResponse)
def register_page(web: WebDep) -> Response:
    if web.user is not None:
        return see_other(web, home_of(web.user))
    return page(web, "auth/register.html", {"values": {}, "errors": {}})


@router.post("/register", response_class=HTMLResponse)
def register(_: RegistrationThrottled, web: WebDep, form: FormDep, session: SessionDep) -> Response:
    values = {name: str(form.get(name, "")).strip() for name in REGISTER_FIELDS}
    try:
        request = RegisterRequest(
            email=values["email"],
            full_name=values["full_name"],
            nik=values["nik"],
            phone=values["phone"] or None,
            password=str(form.get("password", "")),
            language=web.lang,
        )
        active = sessions.register_and_sign_in(
            session,
            web.runtime.settings,
            passwords=web.runtime.passwords,
            request=request,
            replacing=web.active.token if web.active else None,
        )
    except (ValidationError, DomainError) as error:
        session.rollback()  # keep nothing of it, and free SQLite's write lock for the page
        errors = field_messages(error, web.lang)
        if isinstance(error, ValidationError):  # the account's own checks were not reached
            more = service.registration_problems(
                nik=values["nik"],
                password=str(form.get("password", "")),
                email=values["email"],
                full_name=values["full_name"],
            )
            for problem in more:
                errors.setdefault(problem.field, problem.message.in_lang(web.lang))
        order = ("full_name", "nik", "email", "phone", "password")
        errors = dict(sorted(errors.items(), key=lambda item: _position(order, item[0])))
        return page(
            web, "auth/register.html", {"values": values, "errors": errors}, status_code=422
        )
    web.signed_in(active)
    return see_other(web, "/services?welcome=1")


def _position(order: tuple[str, ...], name: str) -> int:
    return order.index(name) if name in order else len(order)


@router.get("/account", response_class=HTMLResponse)
def account_page(web: SignedInDep, session: SessionDep) -> HTMLResponse:
    """The signed-in person's own profile (NIK masked)."""
    profile = service.read_profile(session, principal=web.principal)
    return page(
        web,
        "auth/account.html",
        {"profile": profile, "errors": {}, "changed": "changed" in web.request.query_params},
    )


@router.post("/account/password", response_class=HTMLResponse)
def change_password(web: SignedInDep, form: FormDep, session: SessionDep) -> Response:
    """A new password; every other session of the account ends, this one gets a new id."""
    try:
        active = sessions.change_password(
            session,
            web.runtime.settings,
            passwords=web.runtime.passwords,
            principal=web.principal,
            current=str(form.get("current_password", "")),
            new=str(form.get("new_password", "")),
        )
    except DomainError as error:
        session.rollback()
        profile = service.read_profile(session, principal=web.principal)
        return page(
            web,
            "auth/account.html",
            {"profile": profile, "changed": False, "errors": field_messages(error, web.lang)},
            status_code=422,
        )
    web.signed_in(active)
    return _with_device_cookie(web, see_other(web, "/account?changed=1"), active)
