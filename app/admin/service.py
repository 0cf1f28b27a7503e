"""Admin rules: departments, officers, services and machine clients.

Every function checks that the caller is an admin itself, whatever page or command calls it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts
from app.accounts import sessions
from app.accounts.passwords import PasswordHasher
from app.accounts.principal import OFFICER, OFFICER_ROLES, Principal
from app.admin import repository
from app.admin.schemas import AppClientCreate, ClientCreate, DepartmentCreate, OfficerCreate
from app.catalogue import repository as catalogue_repo
from app.db import Session, get_required
from app.errors import Forbidden, Msg, NotFound, invalid
from app.models import Department, OAuthClient, Service, User
from app.oauth import clients
from app.oauth.principals import forget_recent
from app.workflow.definitions import get_workflow
from app.workflow.engine import Workflow

ADMIN_ONLY = Msg("Hanya admin yang boleh melakukan ini", "Only an admin may do this")
NO_DEPARTMENT = Msg("Dinas tidak ditemukan", "Department not found")
NO_OFFICER = Msg("Petugas tidak ditemukan", "Officer not found")
NO_SERVICE = Msg("Layanan tidak ditemukan", "Service not found")


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden(ADMIN_ONLY)


@dataclass(frozen=True)
class Overview:
    departments: int
    officers: int
    services: int
    clients: int


def overview(session: Session, *, principal: Principal) -> Overview:
    """How much there is to administer, for the admin start page."""
    require_admin(principal)
    departments = repository.departments_with_counts(session)
    codes = {service.code for service, _ in repository.all_service_versions(session)}
    return Overview(
        departments=len(departments),
        officers=sum(count for _, count in departments),
        services=len(codes),
        clients=len(clients.list_clients(session)),
    )


# Departments and officers


def list_departments(session: Session, *, principal: Principal) -> list[tuple[Department, int]]:
    """Every department with its number of officers."""
    require_admin(principal)
    return repository.departments_with_counts(session)


def create_department(
    session: Session, *, principal: Principal, request: DepartmentCreate
) -> Department:
    require_admin(principal)
    return accounts.create_department(session, code=request.code, name=request.name)


@dataclass(frozen=True)
class DepartmentPage:
    department: Department
    officers: list[User]


def department_page(session: Session, *, principal: Principal, code: str) -> DepartmentPage:
    """A department and its officers (active and disabled)."""
    require_admin(principal)
    department = accounts_repo.department_by_code(session, code)
    if department is None:
        raise NotFound(NO_DEPARTMENT)
    assert department.id is not None
    return DepartmentPage(department, repository.officers_of(session, department.id))


def create_officer(
    session: Session,
    *,
    principal: Principal,
    passwords: PasswordHasher,
    department_code: str,
    request: OfficerCreate,
) -> User:
    """An officer account in a department, with the verifier and/or approver role."""
    require_admin(principal)
    return accounts.create_user(
        session,
        passwords=passwords,
        email=str(request.email),
        password=request.password,
        full_name=request.full_name,
        role=OFFICER,
        department_code=department_code,
        officer_roles=request.officer_roles,
    )


def set_officer_roles(
    session: Session, *, principal: Principal, user_id: uuid.UUID, officer_roles: frozenset[str]
) -> Department:
    """Replace an officer's roles; returns the officer's department (where the page goes back)."""
    require_admin(principal)
    officer = _officer(session, user_id)
    if not officer_roles or not officer_roles <= OFFICER_ROLES:
        raise invalid(
            "officer_roles",
            "Petugas perlu peran verifier dan/atau approver",
            "An officer needs the verifier and/or approver role",
        )
    officer.officer_roles = ",".join(sorted(officer_roles))
    accounts_repo.save_user(session, officer)
    forget_recent()  # the officer's next read sees the new roles (other processes: seconds)
    return _department_of(session, officer)


def set_officer_active(
    session: Session, *, principal: Principal, user_id: uuid.UUID, active: bool
) -> Department:
    """Disable or enable an officer; disabling ends their web sessions and refresh tokens now.

    Access tokens already issued stop working as well: API writes read the account every time,
    reads within ``LOKET_READ_RECHECK_SECONDS`` (at once in this process).
    """
    require_admin(principal)
    officer = _officer(session, user_id)
    officer.is_active = active
    accounts_repo.save_user(session, officer)
    forget_recent()
    if not active:
        sessions.end_all_for(session, officer.id)
        accounts_repo.revoke_refresh_tokens(session, user_id=officer.id)
    return _department_of(session, officer)


def officer_department(session: Session, *, principal: Principal, user_id: uuid.UUID) -> Department:
    """The department an officer belongs to (where their page is)."""
    require_admin(principal)
    return _department_of(session, _officer(session, user_id))


def officer_account(
    session: Session, *, principal: Principal, user_id: uuid.UUID
) -> tuple[User, Department]:
    """An officer and their department, as an admin sees them before changing the account."""
    require_admin(principal)
    officer = _officer(session, user_id)
    return officer, _department_of(session, officer)


def _officer(session: Session, user_id: uuid.UUID) -> User:
    user = accounts_repo.user_by_id(session, user_id)
    if user is None or user.role != OFFICER:
        raise NotFound(NO_OFFICER)
    return user


def _department_of(session: Session, officer: User) -> Department:
    return get_required(session, Department, officer.department_id)


# Services


@dataclass(frozen=True)
class ServiceEntry:
    """A service code: its current version, how many versions it has had."""

    current: Service
    department: Department
    versions: int


@dataclass(frozen=True)
class VersionView:
    service: Service
    workflow: Workflow | None  # None if the stored name is not a built-in workflow (any more)


@dataclass(frozen=True)
class ServiceDetail:
    current: Service
    department: Department
    versions: list[VersionView]  # newest first


def list_services(session: Session, *, principal: Principal) -> list[ServiceEntry]:
    """Every service code, active or not, with its current version."""
    require_admin(principal)
    entries: dict[str, ServiceEntry] = {}
    for service, department in repository.all_service_versions(session):
        seen = entries.get(service.code)
        count = seen.versions + 1 if seen else 1
        current = service if service.is_current or seen is None else seen.current
        entries[service.code] = ServiceEntry(current, department, count)
    return list(entries.values())


def service_detail(session: Session, *, principal: Principal, code: str) -> ServiceDetail:
    """Every version of a service with the workflow each one follows."""
    require_admin(principal)
    rows = [row for row in repository.all_service_versions(session) if row[0].code == code]
    if not rows:
        raise NotFound(NO_SERVICE)
    versions = [VersionView(service, _workflow(service.workflow)) for service, _ in reversed(rows)]
    current = next((v.service for v in versions if v.service.is_current), versions[0].service)
    return ServiceDetail(current, rows[0][1], versions)


def _workflow(name: str) -> Workflow | None:
    try:
        return get_workflow(name)
    except ValueError:
        return None


def set_service_active(
    session: Session, *, principal: Principal, code: str, active: bool
) -> Service:
    """Offer a service again, or stop offering it: it leaves the catalogue and takes no new
    applications; applications already started carry on."""
    require_admin(principal)
    service = catalogue_repo.current_service(session, code)
    if service is None:
        raise NotFound(NO_SERVICE)
    service.active = active
    catalogue_repo.save_service(session, service)
    return service


# Machine clients


def list_clients(session: Session, *, principal: Principal) -> list[OAuthClient]:
    require_admin(principal)
    return clients.list_clients(session)


def create_client(
    session: Session, *, principal: Principal, passwords: PasswordHasher, request: ClientCreate
) -> clients.NewClient:
    """Register a client; the secret in the answer is the only time anyone sees it."""
    require_admin(principal)
    return clients.create_client(
        session, passwords=passwords, name=request.name, scopes=request.scopes
    )


def create_app_client(
    session: Session, *, principal: Principal, passwords: PasswordHasher, request: AppClientCreate
) -> clients.NewClient:
    """Register an app acting for residents; a confidential app's secret is shown once."""
    require_admin(principal)
    return clients.create_app_client(
        session,
        passwords=passwords,
        name=request.name,
        operator=request.operator,
        redirect_uris=request.redirect_uris,
        scopes=request.scopes,
        public=request.public,
        logo_url=request.logo_url or None,
        nik_approved=request.nik_approved,
    )


def set_client_active(
    session: Session, *, principal: Principal, client_id: str, active: bool
) -> OAuthClient:
    require_admin(principal)
    return clients.set_active(session, client_id=client_id, active=active)
