"""Filing, reading and listing complaints. Nothing here commits.

A complaint is a case of kind "complaint" (``app.complaints.kind``): the kernel keeps its
number, state, timeline, SLA clock and access rules; this module adds the category version and
its routing, the location, the contact and the first-response deadline. Who may file: a signed-in
resident, a system client (for a resident, e.g. over Open311), or, where the category allows,
anyone with an e-mail address.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import cast

from app.accounts import repository as accounts_repo
from app.accounts.principal import Principal
from app.cases import clock, deadlines, opening, queue
from app.cases import repository as cases_repo
from app.cases.access import OFFICER, visible_case
from app.cases.kinds import workflow_of
from app.cases.schemas import DocumentRead, EventList, EventRead, PersonRead
from app.catalogue import areas
from app.catalogue import repository as catalogue_repo
from app.catalogue.categories import RoutingRule, first_match
from app.catalogue.deadlines import DeadlineRules
from app.catalogue.formschema import validate_data
from app.complaints import repository
from app.complaints.geo import cell_of
from app.complaints.kind import (
    COMPLAINT,
    DIGITS,
    SERIES,
    category_of,
    complaint_of,
    complaint_workflow_name,
    reopen_until,
)
from app.complaints.schemas import (
    ComplaintCreate,
    ComplaintPage,
    ComplaintRead,
    ComplaintSummary,
    ContactRead,
)
from app.db import Session, get_required
from app.errors import FieldError, Forbidden, Msg, NotAuthenticated, ValidationFailed, invalid
from app.models import Case, Complaint, ComplaintCategory, Department
from app.models.base import utcnow
from app.office import local_time, today, zone
from app.privacy import access as privacy
from app.ratelimit import hit
from app.workflow.calendar import default_calendar
from app.workflow.definitions import get_workflow

RATE_WINDOW_SECONDS = 3600


def file_complaint(
    session: Session,
    *,
    request: ComplaintCreate,
    address: str,
    limit_per_hour: int,
    principal: Principal | None = None,
) -> ComplaintRead:
    """File a report for the caller (or without an account, where the category allows it)."""
    caller = principal or Principal.nobody(COMPLAINT.write_scope)
    caller.require_scope(COMPLAINT.write_scope)
    category = _current_category(session, request.category_code)
    owner_id = _reporter(caller, category, request)
    errors = location_errors(
        lat=request.lat, long=request.long, area_code=request.area_code
    ) + validate_data(category.form_schema, request.data, partial=False)
    if errors:
        raise ValidationFailed(errors=errors)
    # Counted only for a report that passed every check, in the report's own transaction: the
    # limit is on reports filed, so a refused attempt costs nothing and a flood stops here.
    who = f"account:{caller.actor_id}" if not caller.anonymous else f"anonymous:{address}"
    hit(session, key=f"complaints:{who}", limit=limit_per_hour, window_seconds=RATE_WINDOW_SECONDS)
    if not caller.anonymous:
        hit(
            session,
            key=f"complaints:address:{address}",
            limit=limit_per_hour * 5,  # several residents behind one address (a kiosk, a NAT)
            window_seconds=RATE_WINDOW_SECONDS,
        )
    rule = _route(session, category, request.area_code)
    department = accounts_repo.department_by_code(session, rule.department_code or "")
    if department is None or department.id is None:
        raise LookupError(f"category {category.code}: department {rule.department_code} missing")
    case = _insert(
        session,
        caller=caller,
        category=category,
        department_id=department.id,
        owner_id=owner_id,
        request=request,
        unit=rule.unit,
    )
    return present(session, case, roles=frozenset({COMPLAINT.owner_role}))


def _current_category(session: Session, code: str) -> ComplaintCategory:
    category = catalogue_repo.current_category(session, code)
    if category is None or not category.active:
        raise invalid(
            "category_code",
            "Kategori laporan tidak dikenal atau tidak aktif",
            "Unknown or inactive complaint category",
        )
    return category


def _reporter(caller: Principal, category: ComplaintCategory, request: ComplaintCreate):
    """The account the report belongs to (None: anonymous or filed by a system)."""
    if caller.anonymous:
        if not category.anonymous_allowed:
            raise NotAuthenticated(
                Msg(
                    "Kategori ini hanya menerima laporan dari warga yang masuk",
                    "This category only takes reports from signed-in residents",
                ),
                headers={"WWW-Authenticate": "Bearer"},
            )
        if request.email is None:
            raise invalid(
                "email",
                "Laporan tanpa akun memerlukan alamat e-mail untuk kabar tindak lanjut",
                "A report without an account needs an e-mail address for its updates",
            )
        return None
    if caller.is_citizen:
        assert caller.user is not None  # is_citizen implies a user
        return caller.user.id
    if caller.is_client:
        if request.email is None and request.phone is None:
            raise invalid(
                "email",
                "Sebutkan kontak pelapor (e-mail atau telepon)",
                "Give the reporter's contact (e-mail or phone)",
            )
        return None
    raise Forbidden(
        Msg("Laporan diajukan oleh warga", "Reports are filed by residents, not by staff")
    )


def location_errors(
    *, lat: float | None, long: float | None, area_code: str | None
) -> list[FieldError]:
    """What is wrong with a report's place: a point half given or outside Jakarta, an unknown
    kelurahan, or neither a point nor a kelurahan (the web form asks this before the rest)."""
    errors: list[FieldError] = []
    has_point = lat is not None or long is not None
    if (lat is None) != (long is None):
        errors.append(_error("lat", "Isi lintang dan bujur bersama", "Give lat and long together"))
    elif has_point and not areas.in_jakarta(cast(float, lat), cast(float, long)):
        errors.append(
            _error("lat", "Titik lokasi berada di luar DKI Jakarta", "The point is outside Jakarta")
        )
    if area_code is not None and areas.kelurahan(area_code) is None:
        errors.append(
            _error(
                "area_code",
                "Kelurahan tidak dikenal (gunakan kode Kemendagri, mis. 31.71.01.1001)",
                "Unknown kelurahan (use its Kemendagri code, e.g. 31.71.01.1001)",
            )
        )
    if not has_point and area_code is None:
        errors.append(
            _error(
                "area_code",
                "Sebutkan titik lokasi atau kelurahan",
                "Give a point (lat, long) or a kelurahan (area_code)",
            )
        )
    return errors


def _error(field: str, id_text: str, en_text: str) -> FieldError:
    return FieldError(field, Msg(id_text, en_text))


def _route(session: Session, category: ComplaintCategory, area_code: str | None) -> RoutingRule:
    department = get_required(session, Department, category.department_id)
    rules = tuple(RoutingRule(**rule) for rule in category.routing)
    return first_match(rules, area_code, department_code=department.code)


def _insert(
    session: Session,
    *,
    caller: Principal,
    category: ComplaintCategory,
    department_id: int,
    owner_id: uuid.UUID | None,
    request: ComplaintCreate,
    unit: str | None,
) -> Case:
    assert category.id is not None  # a stored version
    now = utcnow()
    workflow = get_workflow(complaint_workflow_name())
    values, first_event = opening.new_case_rows(
        kind=COMPLAINT,
        subject_code=category.code,
        workflow=workflow.name,
        state=workflow.initial,
        department_id=department_id,
        owner_id=owner_id,
        principal=caller,
        data={key: value for key, value in request.data.items() if value is not None},
        now=now,
    )
    # A report goes straight to the authority: its clocks start as it is filed.
    values["submitted_at"] = now
    values["due_at"] = clock.due_date(submitted=now, sla_days=category.resolution_days)
    values["deadline_at"] = deadlines.opening_deadline(
        workflow,
        values,
        sla_days=category.resolution_days,
        rules=DeadlineRules.from_stored(category.deadlines),
    )
    point = (request.lat, request.long) if request.lat is not None else None
    own = repository.own_row(
        {
            "id": values["id"],
            "category_id": category.id,
            "category_code": category.code,
            "description": request.description,
            "latitude": point[0] if point else None,
            "longitude": point[1] if point else None,
            "cell": _cell(point),
            "area_code": request.area_code,
            "address": request.address,
            "unit": unit,
            "contact_email": str(request.email) if request.email else None,
            "contact_phone": request.phone,
            "contact_name": request.name,
            "open": True,
            "public": category.public,
            "response_due_at": response_due(now, hours=category.response_hours),
            "first_response_at": None,
            "duplicate_of_id": None,
            "rating": None,
            "rating_comment": None,
            "rated_at": None,
        }
    )
    reference = opening.insert_case(
        session, case=values, own=own, first_event=first_event, series=SERIES, digits=DIGITS
    )
    if reference is None:  # the category changed between reading and writing
        raise invalid(
            "category_code",
            "Kategori laporan baru saja berubah; coba lagi",
            "The complaint category just changed; try again",
        )
    return cast(Case, SimpleNamespace(**values))


def _cell(point: tuple[float | None, float | None] | None) -> int | None:
    if point is None or point[0] is None or point[1] is None:
        return None
    return cell_of(point[0], point[1])


def response_due(moment: datetime, *, hours: int) -> datetime:
    """When the first response is due: ``hours`` office hours after ``moment``."""
    wall = local_time(moment).replace(tzinfo=None)
    due = default_calendar().add_office_hours(wall, hours)
    return due.replace(tzinfo=zone()).astimezone(UTC)


# --- reading ------------------------------------------------------------------------------------


def visible_complaint(
    session: Session, *, principal: Principal, complaint_id: uuid.UUID, write: bool = False
) -> tuple[Case, frozenset[str]]:
    """The complaint's case if the caller may see it (its reporter, the handling department's
    officers, a system with the read scope), with their roles on it; else 404."""
    return visible_case(
        session, principal=principal, kind=COMPLAINT, case_id=complaint_id, write=write
    )


def read_complaint(
    session: Session, *, principal: Principal, complaint_id: uuid.UUID, lang: str = "id"
) -> ComplaintRead:
    case, roles = visible_complaint(session, principal=principal, complaint_id=complaint_id)
    read = present(session, case, roles=roles, lang=lang, principal=principal)
    shown = {
        "reporter_name": read.reporter,
        "contact_email": read.contact.email,
        "contact_phone": read.contact.phone,
    }
    if any(shown.values()):
        privacy.record_access(
            session,
            principal=principal,
            subject_user_id=case.owner_id,
            what=privacy.COMPLAINT,
            fields=[name for name, value in shown.items() if value],
            case_id=case.id,
        )
    return read


def present(
    session: Session,
    case: Case,
    *,
    roles: frozenset[str],
    lang: str = "id",
    principal: Principal | None = None,
) -> ComplaintRead:
    complaint = complaint_of(session, case)
    category = category_of(session, case)
    department = get_required(session, Department, case.department_id)
    state = workflow_of(case).state(case.state)
    personal = bool(roles & {COMPLAINT.owner_role, OFFICER}) or (
        principal is not None and "pii:read" in principal.scopes
    )
    area = areas.area(complaint.area_code) if complaint.area_code else None
    duplicate = (
        cases_repo.get_case(session, complaint.duplicate_of_id)
        if complaint.duplicate_of_id
        else None
    )
    return ComplaintRead(
        id=case.id,
        reference=case.reference,
        category_code=category.code,
        category_version=category.version,
        category_name=category.name_en if lang == "en" else category.name_id,
        state=case.state,
        state_label=state.words(lang, officer=OFFICER in roles),
        version=case.version,
        department_code=department.code,
        unit=complaint.unit,
        description=complaint.description,
        lat=complaint.latitude,
        long=complaint.longitude,
        area_code=complaint.area_code,
        area_name=area.name if area else None,
        address=complaint.address,
        data=case.data,
        reporter=_reporter_read(session, case) if personal else None,
        contact=ContactRead(
            email=complaint.contact_email if personal else None,
            phone=complaint.contact_phone if personal else None,
            name=complaint.contact_name if personal else None,
        ),
        assigned_to_id=case.assigned_to_id,
        created_at=case.created_at,
        updated_at=case.updated_at,
        response_due_at=complaint.response_due_at,
        first_response_at=complaint.first_response_at,
        decided_at=case.decided_at,
        reopen_until=reopen_until(case),
        duplicate_of=duplicate.reference if duplicate else None,
        rating=complaint.rating,
        photos=[
            DocumentRead.model_validate(d, from_attributes=True)
            for d in cases_repo.documents(session, case.id, current_only=True)
        ],
        sla=clock.sla_view(case, state, today=today()),
    )


def _reporter_read(session: Session, case: Case) -> PersonRead | None:
    if case.owner_id is None:
        return None
    return PersonRead(id=case.owner_id, full_name=cases_repo.person_name(session, case.owner_id))


def list_complaints(
    session: Session, *, principal: Principal, query: queue.ListQuery, area: str | None = None
) -> ComplaintPage:
    """The caller's own reports, or their department's queue, newest first; ``area`` keeps
    the reports in a kota, kecamatan or kelurahan."""
    if area:
        if not areas.is_known_prefix(area):
            raise invalid("area", "Wilayah tidak dikenal", "Unknown area")
        condition = (repository.AREA_CONDITION, repository.area_pattern(area))
        query = dataclasses.replace(query, extra=(condition,))
    page = queue.list_cases(session, principal=principal, kind=COMPLAINT, query=query)
    own = repository.complaints_by_id(session, [row.id for row in page.rows])
    workflow = get_workflow(complaint_workflow_name())
    items = [_summary(row, own[row.id], workflow) for row in page.rows if row.id in own]
    return ComplaintPage(items=items, next_cursor=page.next_cursor)


def _summary(row, complaint: Complaint, workflow) -> ComplaintSummary:
    return ComplaintSummary(
        id=row.id,
        reference=row.reference,
        category_code=row.subject_code,
        state=row.state,
        version=row.version,
        area_code=complaint.area_code,
        unit=complaint.unit,
        assigned_to_id=row.assigned_to_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        response_due_at=complaint.response_due_at,
        sla=clock.sla_view(row, workflow.state(row.state), today=today()),
    )


def list_events(session: Session, *, principal: Principal, complaint_id: uuid.UUID) -> EventList:
    """The report's timeline, oldest first."""
    case, _ = visible_complaint(session, principal=principal, complaint_id=complaint_id)
    return EventList(
        items=[
            EventRead.model_validate(e, from_attributes=True)
            for e in cases_repo.events(session, case.id)
        ]
    )
