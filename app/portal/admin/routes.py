"""Admin pages: the start page, departments and their officers.

Services and machine clients are in ``app.admin.system_web``; both routers are served from here.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.admin import service
from app.admin.schemas import DepartmentCreate, OfficerCreate
from app.errors import DomainError, Msg
from app.http.deps import SessionDep
from app.portal.admin.system import router as system_router
from app.web.confirm import Confirmation, confirm_page, confirmed
from app.web.context import AdminDep, FormDep, WebContext
from app.web.pages import field_messages, page, see_other

router = APIRouter(tags=["web: admin"], include_in_schema=False)
router.include_router(system_router)

OFFICER_FIELDS = ("email", "full_name")

DISABLE_OFFICER = Confirmation(
    Msg("Nonaktifkan akun petugas ini?", "Deactivate this officer's account?"),
    Msg(
        "Petugas langsung keluar dari semua perangkat, akses API-nya berhenti, dan ia tidak dapat "
        "masuk lagi sampai akunnya diaktifkan kembali. Berkas yang sedang ia pegang tetap "
        "tercatat atas namanya sampai dialihkan.",
        "The officer is signed out on every device at once, their API access stops, and they "
        "cannot sign in again until the account is activated again. Files they hold stay in "
        "their name until reassigned.",
    ),
    Msg("Ya, nonaktifkan", "Yes, deactivate"),
)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(web: AdminDep, session: SessionDep) -> HTMLResponse:
    overview = service.overview(session, principal=web.principal)
    return page(web, "admin/index.html", {"overview": overview})


@router.get("/admin/departments", response_class=HTMLResponse)
def departments(web: AdminDep, session: SessionDep, done: str | None = None) -> HTMLResponse:
    return _departments_page(web, session, values={}, errors={}, done=done)


def _departments_page(
    web: WebContext,
    session,
    *,
    values: dict,
    errors: dict,
    done: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows = service.list_departments(session, principal=web.principal)
    return page(
        web,
        "admin/departments.html",
        {"rows": rows, "values": values, "errors": errors, "done": done},
        status_code=status_code,
    )


@router.post("/admin/departments", response_class=HTMLResponse)
def create_department(web: AdminDep, form: FormDep, session: SessionDep) -> Response:
    values = {name: str(form.get(name, "")) for name in ("code", "name")}
    try:
        request = DepartmentCreate(**values)
        department = service.create_department(session, principal=web.principal, request=request)
    except (ValidationError, DomainError) as error:
        return _departments_page(
            web,
            session,
            values=values,
            errors=field_messages(error, web.lang),
            status_code=getattr(error, "status", 422),
        )
    return see_other(web, f"/admin/departments/{department.code}?done=created")


@router.get("/admin/departments/{code}", response_class=HTMLResponse)
def department(
    web: AdminDep, session: SessionDep, code: str, done: str | None = None
) -> HTMLResponse:
    return _department_page(web, session, code, values={}, errors={}, done=done)


def _department_page(
    web: WebContext,
    session,
    code: str,
    *,
    values: dict,
    errors: dict,
    role_errors: dict | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    details = service.department_page(session, principal=web.principal, code=code[:32])
    return page(
        web,
        "admin/department.html",
        {
            "details": details,
            "values": values,
            "errors": errors,
            "role_errors": role_errors or {},
            "done": done,
        },
        status_code=status_code,
    )


@router.post("/admin/departments/{code}/officers", response_class=HTMLResponse)
def create_officer(web: AdminDep, form: FormDep, session: SessionDep, code: str) -> Response:
    values = {name: str(form.get(name, "")).strip() for name in OFFICER_FIELDS}
    roles = frozenset(str(role) for role in form.getlist("officer_roles"))
    try:
        request = OfficerCreate(
            **values, password=str(form.get("password", "")), officer_roles=roles
        )
        service.create_officer(
            session,
            principal=web.principal,
            passwords=web.runtime.passwords,
            department_code=code[:32],
            request=request,
        )
    except (ValidationError, DomainError) as error:
        return _department_page(
            web,
            session,
            code,
            values={**values, "officer_roles": roles},
            errors=field_messages(error, web.lang),
            status_code=getattr(error, "status", 422),
        )
    return see_other(web, f"/admin/departments/{code}?done=officer-created")


@router.post("/admin/officers/{user_id}/roles")
def officer_roles(
    web: AdminDep, form: FormDep, session: SessionDep, user_id: uuid.UUID
) -> Response:
    roles = frozenset(str(role) for role in form.getlist("officer_roles"))
    try:
        department = service.set_officer_roles(
            session, principal=web.principal, user_id=user_id, officer_roles=roles
        )
    except DomainError as error:
        if error.status != 422:
            raise
        officer_department = service.officer_department(
            session, principal=web.principal, user_id=user_id
        )
        return _department_page(
            web,
            session,
            officer_department.code,
            values={},
            errors={},
            role_errors={str(user_id): _first(error, web.lang)},
            status_code=422,
        )
    return see_other(web, f"/admin/departments/{department.code}?done=roles-changed")


def _first(error: DomainError, lang: str) -> str:
    return next(iter(field_messages(error, lang).values()), "")


@router.post("/admin/officers/{user_id}/active")
def officer_active(
    web: AdminDep, form: FormDep, session: SessionDep, user_id: uuid.UUID
) -> Response:
    active = form.get("active") == "true"
    if not active and not confirmed(form):
        officer, home = service.officer_account(session, principal=web.principal, user_id=user_id)
        return confirm_page(
            web,
            DISABLE_OFFICER,
            action=f"/admin/officers/{user_id}/active",
            fields={"active": "false"},
            back=f"/admin/departments/{home.code}",
            subject=f"{officer.full_name} · {officer.email} · {home.name}",
        )
    department = service.set_officer_active(
        session, principal=web.principal, user_id=user_id, active=active
    )
    done = "officer-enabled" if active else "officer-disabled"
    return see_other(web, f"/admin/departments/{department.code}?done={done}")
