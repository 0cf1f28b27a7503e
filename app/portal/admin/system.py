"""Admin pages for services (versions, workflow diagrams, on/off) and machine clients."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.admin import service
from app.admin.schemas import AppClientCreate, ClientCreate
from app.errors import DomainError, Msg
from app.http.deps import SessionDep
from app.oauth.clients import APP_SCOPES, CLIENT_SCOPES
from app.portal.admin import diagram
from app.web.confirm import Confirmation, confirm_page, confirmed
from app.web.context import AdminDep, FormDep, WebContext
from app.web.pages import field_messages, page, see_other

router = APIRouter(include_in_schema=False)

STOP_SERVICE = Confirmation(
    Msg("Hentikan layanan ini?", "Stop offering this service?"),
    Msg(
        "Layanan hilang dari katalog dan tidak menerima permohonan baru sejak saat ini. "
        "Permohonan yang sudah dimulai tetap diproses. Layanan dapat ditawarkan lagi nanti.",
        "The service leaves the catalogue and takes no new applications from now on. "
        "Applications already started carry on. The service can be offered again later.",
    ),
    Msg("Ya, hentikan layanan", "Yes, stop the service"),
)


@router.get("/admin/services", response_class=HTMLResponse)
def services(web: AdminDep, session: SessionDep, done: str | None = None) -> HTMLResponse:
    entries = service.list_services(session, principal=web.principal)
    return page(web, "admin/services.html", {"entries": entries, "done": done})


@router.get("/admin/services/{code}", response_class=HTMLResponse)
def service_page(
    web: AdminDep, session: SessionDep, code: str, done: str | None = None
) -> HTMLResponse:
    detail = service.service_detail(session, principal=web.principal, code=code[:16])
    drawings = [_drawing(web, version) for version in detail.versions]
    return page(web, "admin/service.html", {"detail": detail, "drawings": drawings, "done": done})


def _drawing(web: WebContext, version: service.VersionView) -> dict:
    """The diagram and its text version for one service version (none for unknown workflows)."""
    workflow = version.workflow
    if workflow is None:
        return {"version": version, "svg": None, "rows": []}
    title = f"{version.service.code} v{version.service.version}: {workflow.name}"
    svg = diagram.workflow_svg(
        workflow, lang=web.lang, title=title, svg_id=f"workflow-v{version.service.version}"
    )
    return {"version": version, "svg": svg, "rows": diagram.transition_rows(workflow, web.lang)}


@router.post("/admin/services/{code}/active")
def service_active(web: AdminDep, form: FormDep, session: SessionDep, code: str) -> Response:
    active = form.get("active") == "true"
    if not active and not confirmed(form):
        detail = service.service_detail(session, principal=web.principal, code=code[:16])
        current = detail.current
        return confirm_page(
            web,
            STOP_SERVICE,
            action=f"/admin/services/{current.code}/active",
            fields={"active": "false"},
            back=f"/admin/services/{current.code}",
            subject=f"{current.code} · {current.name_en if web.lang == 'en' else current.name_id}",
        )
    changed = service.set_service_active(
        session, principal=web.principal, code=code[:16], active=active
    )
    done = "activated" if active else "deactivated"
    return see_other(web, f"/admin/services/{changed.code}?done={done}")


@router.get("/admin/clients", response_class=HTMLResponse)
def clients(web: AdminDep, session: SessionDep, done: str | None = None) -> HTMLResponse:
    return _clients_page(web, session, values={}, errors={}, done=done)


def _clients_page(
    web: WebContext,
    session,
    *,
    values: dict,
    errors: dict,
    done: str | None = None,
    created=None,
    status_code: int = 200,
    app_values: dict | None = None,
    app_errors: dict | None = None,
) -> HTMLResponse:
    rows = service.list_clients(session, principal=web.principal)
    return page(
        web,
        "admin/clients.html",
        {
            "rows": rows,
            "values": values,
            "errors": errors,
            "done": done,
            "created": created,
            "scopes": sorted(CLIENT_SCOPES),
            "app_scopes": sorted(APP_SCOPES),
            "app_values": app_values or {},
            "app_errors": app_errors or {},
        },
        status_code=status_code,
    )


@router.post("/admin/clients", response_class=HTMLResponse)
def create_client(web: AdminDep, form: FormDep, session: SessionDep) -> Response:
    """Answered with a page, not a redirect: the secret is shown in this answer and never again
    (the page is not stored by the browser: Cache-Control no-store)."""
    # ClientCreate's fields (a name, a set of scopes), also shown again on the page.
    values: dict[str, Any] = {
        "name": str(form.get("name", "")),
        "scopes": frozenset(str(scope) for scope in form.getlist("scopes")),
    }
    try:
        created = service.create_client(
            session,
            principal=web.principal,
            passwords=web.runtime.passwords,
            request=ClientCreate(**values),
        )
    except (ValidationError, DomainError) as error:
        return _clients_page(
            web,
            session,
            values=values,
            errors=field_messages(error, web.lang),
            status_code=getattr(error, "status", 422),
        )
    return _clients_page(web, session, values={}, errors={}, created=created)


@router.post("/admin/clients/{client_id}/active")
def client_active(web: AdminDep, form: FormDep, session: SessionDep, client_id: str) -> Response:
    active = form.get("active") == "true"
    service.set_client_active(
        session, principal=web.principal, client_id=client_id[:64], active=active
    )
    return see_other(web, f"/admin/clients?done={'enabled' if active else 'disabled'}")


@router.post("/admin/clients/apps", response_class=HTMLResponse)
def create_app_client(web: AdminDep, form: FormDep, session: SessionDep) -> Response:
    """Register an app acting for residents; answered with a page for the same reason as
    create_client (a confidential app's secret is shown once)."""
    values: dict[str, Any] = {
        "name": str(form.get("name", "")),
        "operator": str(form.get("operator", "")),
        "redirect_uris": str(form.get("redirect_uris", "")).split(),
        "scopes": frozenset(str(scope) for scope in form.getlist("scopes")),
        "public": form.get("public") == "true",
        "logo_url": str(form.get("logo_url", "")).strip() or None,
        "nik_approved": form.get("nik_approved") == "true",
    }
    try:
        created = service.create_app_client(
            session,
            principal=web.principal,
            passwords=web.runtime.passwords,
            request=AppClientCreate(**values),
        )
    except (ValidationError, DomainError) as error:
        session.rollback()
        return _clients_page(
            web,
            session,
            values={},
            errors={},
            app_values=values,
            app_errors=field_messages(error, web.lang),
            status_code=getattr(error, "status", 422),
        )
    return _clients_page(web, session, values={}, errors={}, created=created)
