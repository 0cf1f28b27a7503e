"""What the complaint pages show, gathered from the same service functions as the JSON API.

The report form reads the posted fields into the API's ``ComplaintCreate``; the resident's
page is ``read_complaint`` + ``list_events`` + the reporter's workflow actions; nothing here
decides who may see or do what.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.accounts.principal import Principal
from app.cases.queue import ListQuery
from app.cases.schemas import ActionRead
from app.catalogue import areas
from app.catalogue.forms import FormField, ShownAnswer, display_fields, form_fields, parse_form
from app.complaints import handling, public, service
from app.complaints.kind import complaint_workflow_name
from app.complaints.schemas import (
    CategoryRead,
    ComplaintCreate,
    ComplaintRead,
)
from app.db import Session
from app.errors import FieldError, Msg, ValidationFailed
from app.portal.citizen.views import TimelineEntry, timeline_entries
from app.web.wording import state_label
from app.workflow.definitions import get_workflow

REPORTER_ACTIONS = ("confirm", "reopen", "object")
PAGE_SIZE = 20
NEARBY_SHOWN = 10


def categories(session: Session, *, lang: str) -> list[CategoryRead]:
    return public.list_categories(session, lang=lang).items


def kelurahan_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every kelurahan of Jakarta, grouped by "kota – kecamatan" for one select."""
    groups = []
    for kota in areas.children():
        for kecamatan in areas.children(kota.code):
            options = [(k.code, k.name) for k in areas.children(kecamatan.code)]
            groups.append((f"{kota.name} – {kecamatan.name}", options))
    return groups


@dataclass
class Place:
    """The first step of the report form: the category and where."""

    category: str = ""
    area_code: str = ""
    lat: str = ""
    long: str = ""

    @classmethod
    def read(cls, values: Mapping[str, Any]) -> Place:
        def text(name: str, limit: int) -> str:
            raw = values.get(name)
            return raw.strip()[:limit] if isinstance(raw, str) else ""

        return cls(
            category=text("category_code", 16),
            area_code=text("area_code", 13),
            lat=text("lat", 30),
            long=text("long", 30),
        )

    def point(self) -> tuple[float | None, float | None, list[FieldError]]:
        lat, lat_error = _coordinate(self.lat, "lat")
        long, long_error = _coordinate(self.long, "long")
        return lat, long, lat_error + long_error

    @property
    def area_name(self) -> str | None:
        found = areas.area(self.area_code) if self.area_code else None
        return found.name if found else None

    def as_query(self) -> dict[str, str]:
        return {
            "category_code": self.category,
            "area_code": self.area_code,
            "lat": self.lat,
            "long": self.long,
        }


def _coordinate(text: str, name: str) -> tuple[float | None, list[FieldError]]:
    if not text:
        return None, []
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        return None, [
            FieldError(name, Msg("Tulis angka desimal, mis. -6.2330", "Write a decimal number"))
        ]
    return value, []


def check_place(session: Session, *, place: Place, lang: str) -> tuple[CategoryRead, list]:
    """The category and the open reports like it nearby, or ValidationFailed for the place
    (the service's own rules about a report's location)."""
    found = {c.code: c for c in categories(session, lang=lang)}
    lat, long, errors = place.point()
    category = found.get(place.category)
    if category is None:
        errors.append(
            FieldError("category_code", Msg("Pilih kategori laporan", "Choose a category"))
        )
    if not errors:
        errors = service.location_errors(lat=lat, long=long, area_code=place.area_code or None)
    if errors or category is None:
        raise ValidationFailed(errors=errors)
    return category, _nearby(session, category=category, place=place, lat=lat, long=long, lang=lang)


def _nearby(session, *, category: CategoryRead, place: Place, lat, long, lang) -> list:
    """Open reports of the category within its radius of the point, else in the kelurahan."""
    if not category.public:
        return []
    if lat is not None and long is not None:
        return public.nearby_open(
            session, category_code=category.code, lat=lat, long=long, lang=lang
        ).items[:NEARBY_SHOWN]
    workflow = get_workflow(complaint_workflow_name())
    open_states = ",".join(s.name for s in workflow.states if s.open311_status == "open")
    return public.public_complaints(
        session, category=category.code, area=place.area_code, state=open_states, limit=10
    ).items


def fields_of(category: CategoryRead, lang: str) -> list[FormField]:
    return form_fields(category.form_schema, lang) if category.form_schema else []


def report_request(category: CategoryRead, place: Place, form: Mapping[str, Any]):
    """The API's request body from the posted report form (raises pydantic's ValidationError)."""
    lat, long, errors = place.point()
    if errors:
        raise ValidationFailed(errors=errors)
    data = parse_form(category.form_schema, form)[0] if category.form_schema else {}

    def text(name: str) -> str | None:
        raw = form.get(name)
        if not isinstance(raw, str):
            return None
        # Browsers send textarea line breaks as CR LF; plain text allows LF only.
        cleaned = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
        return cleaned or None

    return ComplaintCreate(
        category_code=category.code,
        description=text("description") or "",
        lat=lat,
        long=long,
        area_code=place.area_code or None,
        address=text("address"),
        data={key: value for key, value in data.items() if value is not None},
        email=text("email"),
        phone=text("phone"),
    )


def answers(session: Session, read: ComplaintRead, lang: str) -> list[ShownAnswer]:
    """The extra questions' answers in words, labelled by the category's form."""
    found = next((c for c in categories(session, lang=lang) if c.code == read.category_code), None)
    if found is None or not found.form_schema:
        return []
    return [a for a in display_fields(found.form_schema, read.data, lang) if a.key in read.data]


# --- the resident's reports ---------------------------------------------------------------------


@dataclass
class ResidentView:
    complaint: ComplaintRead
    timeline: list[TimelineEntry]
    actions: list[ActionRead]
    rateable: bool
    answers: list[ShownAnswer]


def resident_view(
    session: Session, *, principal: Principal, complaint_id: uuid.UUID, lang: str
) -> ResidentView:
    read = service.read_complaint(
        session, principal=principal, complaint_id=complaint_id, lang=lang
    )
    events = service.list_events(session, principal=principal, complaint_id=complaint_id)
    offered = handling.available_actions(
        session, principal=principal, complaint_id=complaint_id, lang=lang
    )
    workflow = get_workflow(complaint_workflow_name())
    return ResidentView(
        complaint=read,
        timeline=timeline_entries(events.items, workflow.name, principal, lang),
        actions=[a for a in offered.items if a.action in REPORTER_ACTIONS],
        rateable=read.rating is None and handling.fixed(workflow, read.state),
        answers=answers(session, read, lang),
    )


@dataclass
class MineRow:
    id: uuid.UUID
    reference: str
    category_name: str
    state: str
    state_label: str
    area_name: str | None
    updated_at: Any


def my_complaints(
    session: Session, *, principal: Principal, lang: str, cursor: str | None
) -> tuple[list[MineRow], str | None]:
    """The caller's own reports, newest first."""
    listing = service.list_complaints(
        session, principal=principal, query=ListQuery(limit=PAGE_SIZE, cursor=cursor)
    )
    names = {c.code: c.name for c in categories(session, lang=lang)}
    workflow = complaint_workflow_name()
    rows = []
    for item in listing.items:
        area = areas.area(item.area_code) if item.area_code else None
        rows.append(
            MineRow(
                id=item.id,
                reference=item.reference,
                category_name=names.get(item.category_code, item.category_code),
                state=item.state,
                state_label=state_label(workflow, item.state, lang),
                area_name=area.name if area else None,
                updated_at=item.updated_at,
            )
        )
    return rows, listing.next_cursor
