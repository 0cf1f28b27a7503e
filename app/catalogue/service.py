"""Catalogue rules: loading definitions as new versions, and reading the current catalogue."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from app.accounts import repository as accounts_repo
from app.catalogue import repository
from app.catalogue.categories import CategoryDefinition
from app.catalogue.definitions import Catalogue, ServiceDefinition
from app.catalogue.schemas import DocumentRequirementRead, ServiceList, ServiceRead, ServiceSummary
from app.db import Session, get_required
from app.errors import Msg, NotFound, ValidationFailed, field_error
from app.models import ComplaintCategory, Department, Service


@dataclass(frozen=True)
class LoadReport:
    created: list[str]
    new_versions: list[str]
    unchanged: list[str]
    departments_created: list[str]
    # Complaint categories, as the services above.
    categories_created: list[str] = field(default_factory=list)
    categories_new_versions: list[str] = field(default_factory=list)
    categories_unchanged: list[str] = field(default_factory=list)


def load_catalogue(session: Session, *, catalogue: Catalogue) -> LoadReport:
    """Store every service of a catalogue; a changed definition becomes a new version."""
    report = LoadReport([], [], [], [])
    missing = [
        Department(code=department.code, name=department.name)
        for department in catalogue.departments
        if accounts_repo.department_by_code(session, department.code) is None
    ]
    accounts_repo.insert_departments(session, missing)
    report.departments_created.extend(department.code for department in missing)
    for definition in catalogue.services:
        outcome = _store_definition(session, definition)
        getattr(report, outcome).append(definition.code)
    for category in catalogue.categories:
        outcome = _store_category(session, category)
        getattr(report, f"categories_{outcome}").append(category.code)
    return report


def _store_category(session: Session, definition: CategoryDefinition) -> str:
    """Store a complaint category; a changed definition becomes a new version (reports keep
    the version they were filed under)."""
    for code in sorted(definition.department_codes()):
        if accounts_repo.department_by_code(session, code) is None:
            raise ValidationFailed(
                errors=[
                    field_error(
                        f"categories.{definition.code}.department",
                        f"Dinas {code} belum ada",
                        f"Department {code} does not exist",
                    )
                ]
            )
    department = accounts_repo.department_by_code(session, definition.department_code)
    assert department is not None and department.id is not None  # checked just above
    current = repository.current_category(session, definition.code)
    active = _active_after_reload(definition.active, current)
    if current is not None and current.content_hash == definition.content_hash():
        if current.active != active:
            current.active = active
            repository.save_category(session, current)
        return "unchanged"
    if current is not None:
        assert current.id is not None  # read from the database
        repository.retire_category(session, current.id)
    repository.insert_category(
        session,
        ComplaintCategory(
            code=definition.code,
            version=current.version + 1 if current else 1,
            is_current=True,
            active=active,
            department_id=department.id,
            name_id=definition.name_id,
            name_en=definition.name_en,
            description_id=definition.description_id,
            description_en=definition.description_en,
            routing=[asdict(rule) for rule in definition.routing],
            form_schema=definition.form_schema,
            public=definition.public,
            anonymous_allowed=definition.anonymous_allowed,
            exact_location_public=definition.exact_location_public,
            response_hours=definition.response_hours,
            resolution_days=definition.resolution_days,
            duplicate_radius_m=definition.duplicate_radius_m,
            deadlines=dict(definition.deadlines),
            content_hash=definition.content_hash(),
        ),
    )
    return "new_versions" if current else "created"


def _store_definition(session: Session, definition: ServiceDefinition) -> str:
    department = accounts_repo.department_by_code(session, definition.department_code)
    if department is None:
        raise ValidationFailed(
            errors=[
                field_error(
                    f"services.{definition.code}.department",
                    f"Dinas {definition.department_code} belum ada",
                    f"Department {definition.department_code} does not exist",
                )
            ]
        )
    current = repository.current_service(session, definition.code)
    active = _active_after_reload(definition.active, current)
    if current is not None and current.content_hash == definition.content_hash():
        if current.active != active:
            current.active = active
            repository.save_service(session, current)
        return "unchanged"
    if current is not None:
        assert current.id is not None  # read from the database
        repository.retire_version(session, current.id)
    version = current.version + 1 if current else 1
    repository.insert_service(
        session, _service_row(definition, department, version=version, active=active)
    )
    return "new_versions" if current else "created"


def _service_row(
    definition: ServiceDefinition, department: Department, *, version: int, active: bool
) -> Service:
    assert department.id is not None  # read from the database, so it has its key
    return Service(
        code=definition.code,
        version=version,
        is_current=True,
        active=active,
        department_id=department.id,
        name_id=definition.name_id,
        name_en=definition.name_en,
        description_id=definition.description_id,
        description_en=definition.description_en,
        form_schema=definition.form_schema,
        documents=[asdict(document) for document in definition.documents],
        key_fields=list(definition.key_fields),
        sla_days=definition.sla_days,
        validity_months=definition.validity_months,
        workflow=definition.workflow,
        certificate_template=definition.certificate_template,
        fee_idr=definition.fee_idr,
        deadlines=dict(definition.deadlines),
        fee=dict(definition.fee),
        content_hash=definition.content_hash(),
    )


def list_services(session: Session, *, lang: str) -> ServiceList:
    """The active catalogue, for anyone."""
    return ServiceList(
        items=[
            ServiceSummary(
                code=service.code,
                name=_pick(service.name_id, service.name_en, lang),
                department_code=department.code,
                workflow=service.workflow,
                sla_days=service.sla_days,
            )
            for service, department in repository.current_services(session)
        ]
    )


@dataclass
class ServiceCard:
    code: str
    name: str
    description: str
    sla_days: int


@dataclass
class DepartmentGroup:
    name: str
    services: list[ServiceCard]


def catalogue_by_department(session: Session, *, lang: str) -> list[DepartmentGroup]:
    """The active catalogue grouped under each department's name (the list API gives codes)."""
    groups: dict[str, DepartmentGroup] = {}
    for svc, department in repository.current_services(session):
        group = groups.setdefault(department.code, DepartmentGroup(department.name, []))
        group.services.append(
            ServiceCard(
                code=svc.code,
                name=svc.name_en if lang == "en" else svc.name_id,
                description=svc.description_en if lang == "en" else svc.description_id,
                sla_days=svc.sla_days,
            )
        )
    return sorted(groups.values(), key=lambda group: group.name)


def get_service(session: Session, *, code: str, lang: str) -> ServiceRead:
    """One active service with its form schema and document requirements."""
    service = repository.current_service(session, code)
    if service is None or not service.active:
        raise NotFound(Msg(f"Layanan {code} tidak ada", f"No service {code}"))
    department = get_required(session, Department, service.department_id)
    return service_read(service, department_code=department.code, lang=lang)


def service_read(service: Service, *, department_code: str, lang: str) -> ServiceRead:
    return ServiceRead(
        code=service.code,
        version=service.version,
        name=_pick(service.name_id, service.name_en, lang),
        names={"id": service.name_id, "en": service.name_en},
        description=_pick(service.description_id, service.description_en, lang),
        department_code=department_code,
        workflow=service.workflow,
        sla_days=service.sla_days,
        validity_months=service.validity_months,
        fee_idr=service.fee_idr,
        form_schema=service.form_schema,
        documents=[
            DocumentRequirementRead(
                code=d["code"],
                label=_pick(d["label_id"], d["label_en"], lang),
                accepted_types=list(d["accepted_types"]),
                max_bytes=d["max_bytes"],
                mandatory=d["mandatory"],
            )
            for d in service.documents
        ],
    )


def _pick(indonesian: str, english: str, lang: str) -> str:
    return english if lang == "en" and english else indonesian


def service_names(session: Session, *, lang: str) -> dict[str, str]:
    """Every service code's current name in ``lang``, stopped services included (a resident's
    list still names what they applied for)."""
    return {
        service.code: _pick(service.name_id, service.name_en, lang)
        for service, _ in repository.current_services(session, only_active=False)
    }


def _active_after_reload(stated: bool | None, current: Service | ComplaintCategory | None) -> bool:
    """Whether a service or category is on after a catalogue load. A file that says nothing
    about ``active`` leaves an admin's switch alone (``loket demo`` and deployments reload the
    catalogue; that must not switch a withdrawn service or category back on)."""
    if stated is not None:
        return stated
    return current.active if current is not None else True
