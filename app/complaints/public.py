"""What anyone may see of complaints: the categories, Jakarta's areas, public reports (the
list, and the open ones near a point before filing), and following a report instead of filing
it again. Public shapes carry no name, contact or account, and a category that keeps exact
places private shows points rounded to about 110 m."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from app.accounts.principal import Principal
from app.cases import queue
from app.cases import repository as cases_repo
from app.catalogue import areas
from app.catalogue import repository as catalogue_repo
from app.complaints import geo, repository
from app.complaints.kind import COMPLAINT, complaint_workflow_name
from app.complaints.schemas import (
    AreaList,
    AreaRead,
    CategoryList,
    CategoryRead,
    DuplicateList,
    FollowRead,
    PublicComplaint,
    PublicComplaintPage,
)
from app.db import Session
from app.errors import Msg, NotFound, invalid
from app.files.storage import FileStore
from app.models import ComplaintCategory, Department, Document
from app.models.base import utcnow
from app.workflow.definitions import get_workflow

MAX_PAGE = 100


def list_categories(session: Session, *, lang: str) -> CategoryList:
    """The active complaint categories with their extra questions."""
    return CategoryList(
        items=[
            category_read(category, department, lang=lang)
            for category, department in catalogue_repo.current_categories(session)
        ]
    )


def category_read(category: ComplaintCategory, department: Department, *, lang: str):
    return CategoryRead(
        code=category.code,
        version=category.version,
        name=category.name_en if lang == "en" else category.name_id,
        names={"id": category.name_id, "en": category.name_en},
        description=category.description_en if lang == "en" else category.description_id,
        department_code=department.code,
        public=category.public,
        anonymous_allowed=category.anonymous_allowed,
        response_hours=category.response_hours,
        resolution_days=category.resolution_days,
        duplicate_radius_m=category.duplicate_radius_m,
        form_schema=category.form_schema,
    )


def list_areas(session: Session | None = None, *, parent: str | None = None) -> AreaList:
    """The areas one level below ``parent`` (DKI Jakarta's kota and kabupaten by default)."""
    code = parent or areas.PROVINCE
    if not areas.is_known_prefix(code):
        raise NotFound(Msg(f"Wilayah {code} tidak dikenal", f"No area {code}"))
    return AreaList(
        parent=code,
        items=[
            AreaRead(
                code=a.code, name=a.name, level=a.level, parent=a.parent, postal_code=a.postal_code
            )
            for a in areas.children(code)
        ],
    )


def _public_category(session: Session, code: str) -> ComplaintCategory:
    category = catalogue_repo.current_category(session, code)
    if category is None or not category.active:
        raise invalid("category", "Kategori laporan tidak dikenal", "Unknown complaint category")
    return category


def _point(lat: float, long: float) -> None:
    if not areas.in_jakarta(lat, long):
        raise invalid("lat", "Titik lokasi di luar DKI Jakarta", "The point is outside Jakarta")


def _parse_point(text: str) -> tuple[float, float]:
    try:
        lat, long = (float(part) for part in text.split(","))
    except ValueError:
        raise invalid(
            "near", "Tulis titik sebagai LAT,LONG", "Write the point as LAT,LONG"
        ) from None
    if not (math.isfinite(lat) and math.isfinite(long)):
        raise invalid("near", "Tulis titik sebagai LAT,LONG", "Write the point as LAT,LONG")
    return lat, long


def nearby_open(
    session: Session, *, category_code: str, lat: float, long: float, lang: str = "id"
) -> DuplicateList:
    """Open public reports of the category within its duplicate radius, nearest first: what
    a resident is offered to follow before filing the same report again."""
    category = _public_category(session, category_code)
    _point(lat, long)
    radius = category.duplicate_radius_m
    found = []
    for row in repository.open_nearby(
        session, category_code=category.code, cells=geo.cells_around(lat, long)
    ):
        distance = geo.distance_m(lat, long, row.latitude, row.longitude)
        if distance <= radius:
            found.append((distance, row))
    found.sort(key=lambda item: item[0])
    counts = repository.photo_counts(session, [row.id for _, row in found])
    return DuplicateList(
        radius_m=radius,
        items=[
            _public(session, row, lang=lang, photos=counts.get(row.id, 0), distance=d)
            for d, row in found
        ],
    )


def public_complaints(
    session: Session,
    *,
    category: str | None = None,
    area: str | None = None,
    near: str | tuple[float, float] | None = None,
    radius_m: int = 500,
    state: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
    lang: str = "id",
) -> PublicComplaintPage:
    """Public reports, newest first (the public list, the map, Open311's GET requests)."""
    workflow = get_workflow(complaint_workflow_name())
    states = tuple(s for s in (state or "").split(",") if s)
    if unknown := [s for s in states if s not in workflow.state_names]:
        raise invalid("state", f"Status tidak dikenal: {unknown}", f"Unknown state: {unknown}")
    if category:
        _public_category(session, category)
    if area and not areas.is_known_prefix(area):
        raise invalid("area", "Wilayah tidak dikenal", "Unknown area")
    if isinstance(near, str):
        near = _parse_point(near)
    if near is not None:
        _point(*near)
        if not 1 <= radius_m <= int(geo.CELL_METRES):
            raise invalid(
                "radius_m",
                f"Radius 1 sampai {int(geo.CELL_METRES)} meter",
                f"The radius is 1 to {int(geo.CELL_METRES)} metres",
            )
    size = min(max(limit, 1), MAX_PAGE)
    rows = repository.public_page(
        session,
        category_code=category,
        area_pattern=repository.area_pattern(area) if area else None,
        states=states,
        cells=geo.cells_around(*near) if near else None,
        after=queue.decode_cursor(cursor) if cursor else None,
        limit=size + 1,
    )
    last = rows[size - 1] if len(rows) > size else None
    rows = rows[:size]
    if near is not None:
        rows = [r for r in rows if geo.distance_m(*near, r.latitude, r.longitude) <= radius_m]
    counts = repository.photo_counts(session, [row.id for row in rows])
    return PublicComplaintPage(
        items=[_public(session, row, lang=lang, photos=counts.get(row.id, 0)) for row in rows],
        next_cursor=queue.encode_cursor(last.created_at, last.id) if last is not None else None,
    )


def _public(
    session: Session, row: Any, *, lang: str, photos: int, distance: float | None = None
) -> PublicComplaint:
    category = catalogue_repo.category_version(session, row.category_id)
    state = get_workflow(row.workflow).state(row.state)
    area = areas.area(row.area_code) if row.area_code else None
    lat, long = row.latitude, row.longitude
    if lat is not None and not category.exact_location_public:
        lat, long = geo.rounded(lat), geo.rounded(long)
    return PublicComplaint(
        reference=row.reference,
        category_code=row.category_code,
        category_name=category.name_en if lang == "en" else category.name_id,
        state=row.state,
        state_label=state.words(lang),
        open311_status=state.open311_status,
        area_code=row.area_code,
        area_name=area.name if area else None,
        lat=lat,
        long=long,
        description=row.description,
        photo_count=photos,
        created_at=row.created_at,
        updated_at=row.updated_at,
        due_at=row.due_at,
        distance_m=round(distance, 1) if distance is not None else None,
    )


def follow(session: Session, *, principal: Principal, reference: str) -> FollowRead:
    """Follow a public report (instead of filing it again): its updates reach the follower."""
    principal.require_scope(COMPLAINT.read_scope)
    if not principal.is_citizen or principal.user is None:
        raise invalid(
            "reference", "Hanya warga yang dapat mengikuti laporan", "Only residents follow reports"
        )
    case = repository.case_by_reference(session, reference.upper())
    complaint = repository.get_complaint(session, case.id) if case is not None else None
    if case is None or complaint is None or not complaint.public:
        raise NotFound(COMPLAINT.not_found)
    if case.owner_id != principal.user.id:
        repository.follow(session, complaint_id=case.id, user_id=principal.user.id, at=utcnow())
    return FollowRead(reference=case.reference, following=True)


def public_report(session: Session, *, reference: str, lang: str = "id") -> PublicComplaint:
    """One public report as anyone may see it (a private category's report is not found)."""
    row = repository.public_by_reference(session, reference.upper())
    if row is None:
        raise NotFound(COMPLAINT.not_found)
    counts = repository.photo_counts(session, [row.id])
    return _public(session, row, lang=lang, photos=counts.get(row.id, 0))


def public_photo(
    session: Session, *, files: FileStore, reference: str, number: int
) -> tuple[Document, Path]:
    """The ``number``-th photo (from 1) of a public report, already stripped of its metadata."""
    row = repository.public_by_reference(session, reference.upper())
    shown = cases_repo.documents(session, row.id, current_only=True) if row is not None else []
    if not 1 <= number <= len(shown):
        raise NotFound(Msg("Foto tidak ditemukan", "Photo not found"))
    document = shown[number - 1]
    return document, files.path(document.storage_key)
