"""GET requests, requests/{id} and mySociety's servicerequestupdates: public reports only, as
the public view shows them (no name, contact or account; points rounded to about 110 m, and
the typed address left out, where the category keeps exact places private), with the state's
GeoReport status from the workflow, ``expected_datetime`` from the SLA (the end of the office
day the report is due) and ``agency_responsible`` the department the routing gave it to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.catalogue import areas
from app.catalogue import repository as catalogue_repo
from app.complaints import geo, repository
from app.complaints.kind import COMPLAINT, NOT_FOUND
from app.complaints.open311.common import comma_list, parse_datetime, w3c
from app.db import Session
from app.errors import NotFound, invalid
from app.models.base import utcnow
from app.office import end_of_day
from app.workflow.definitions import get_workflow

WINDOW = timedelta(days=90)  # the standard's default and widest span of dates
MAX_PAGE_SIZE = 1000  # "the first 1,000 requests" of the standard's default
MAX_IDS = 100
STATUSES = ("open", "closed")
# mySociety's extended statuses (FixMyStreet), by the timeline's step.
EXTENDED_STATUS = {
    f"{COMPLAINT.name}.created": "open",
    f"{COMPLAINT.name}.accepted": "action_scheduled",
    f"{COMPLAINT.name}.referred": "internal_referral",
    f"{COMPLAINT.name}.marked_duplicate": "duplicate",
    f"{COMPLAINT.name}.declined": "not_councils_responsibility",
    f"{COMPLAINT.name}.work_started": "in_progress",
    f"{COMPLAINT.name}.resolved": "in_progress",  # fixed, until a second officer verifies it
    f"{COMPLAINT.name}.verified": "fixed",
    f"{COMPLAINT.name}.confirmed": "closed",
    f"{COMPLAINT.name}.closed_unanswered": "closed",
    f"{COMPLAINT.name}.reopened": "reopen",
}


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = MAX_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def list_requests(
    session: Session,
    *,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    page: Page = Page(),
    lang: str = "id",
) -> list[dict[str, Any]]:
    """Public reports, newest first: those named (comma list, overriding the rest), else those
    of the services, statuses and window asked for (default: the last 90 days)."""
    references = [r.upper() for r in comma_list("service_request_id", service_request_id)]
    codes = comma_list("service_code", service_code)
    window = window_of(start_date, end_date)
    rows = repository.open311_requests(
        session,
        references=references,
        codes=codes,
        states=_states(status),
        start=window.start,
        end=window.end,
        offset=page.offset,
        limit=page.size,
    )
    return [_request(session, row, lang=lang) for row in rows]


def get_request(session: Session, *, request_id: str, lang: str = "id") -> list[dict[str, Any]]:
    """One public report in the standard's array of one (404 if none is public by that id)."""
    rows = repository.open311_requests(
        session,
        references=[request_id.strip().upper()],
        codes=[],
        states=None,
        start=None,
        end=None,
        offset=0,
        limit=1,
    )
    if not rows:
        raise NotFound(NOT_FOUND)
    return [_request(session, rows[0], lang=lang)]


def list_updates(
    session: Session,
    *,
    start_date: str | None = None,
    end_date: str | None = None,
    page: Page = Page(),
    lang: str = "id",
) -> list[dict[str, Any]]:
    """Each step of public reports in the window (default: the last 90 days), oldest first."""
    window = window_of(start_date, end_date)
    rows = repository.open311_updates(
        session,
        actions=EXTENDED_STATUS,
        start=window.start,
        end=window.end,
        offset=page.offset,
        limit=page.size,
    )
    return [
        {
            "update_id": str(row.id),
            "service_request_id": row.reference,
            "updated_datetime": w3c(row.created_at),
            "status": EXTENDED_STATUS[row.action],
            "description": _step_words(row, lang),
            "media_url": None,
            "external_status_code": row.to_state or row.state,
        }
        for row in rows
    ]


def _step_words(row: Any, lang: str) -> str:
    # The state it led to, in the residents' words: never an officer's comment, which may
    # name people.
    return get_workflow(row.workflow).state(row.to_state or row.state).words(lang)


def window_of(start_date: str | None, end_date: str | None) -> Window:
    """The dates asked for, at most 90 days apart; the last 90 days by default."""
    start = parse_datetime("start_date", start_date)
    end = parse_datetime("end_date", end_date)
    if start is None and end is None:
        end = utcnow()
    if end is None:
        assert start is not None
        end = start + WINDOW
    if start is None:
        start = end - WINDOW
    if start > end:
        raise invalid(
            "start_date",
            "Tidak boleh setelah end_date",
            "Must not be after end_date",
        )
    if end - start > WINDOW:
        raise invalid(
            "end_date",
            "Rentang tanggal paling lama 90 hari",
            "The dates may span at most 90 days",
        )
    return Window(start, end)


def _states(status: str | None) -> list[str] | None:
    wanted = comma_list("status", status)
    if unknown := [s for s in wanted if s not in STATUSES]:
        raise invalid(
            "status",
            f"open atau closed, bukan {unknown[0][:20]}",
            f"Either open or closed, not {unknown[0][:20]}",
        )
    if not wanted:
        return None
    states = [s for name in COMPLAINT.workflows for s in get_workflow(name).states]
    return [s.name for s in states if s.open311_status in wanted]


def _request(session: Session, row: Any, *, lang: str) -> dict[str, Any]:
    category = catalogue_repo.category_version(session, row.category_id)
    state = get_workflow(row.workflow).state(row.state)
    area = areas.area(row.area_code) if row.area_code else None
    lat, long, address = row.latitude, row.longitude, row.address
    if not category.exact_location_public:
        if lat is not None:
            lat, long = geo.rounded(lat), geo.rounded(long)
        address = None
    return {
        "service_request_id": row.reference,
        "status": state.open311_status,
        "status_notes": state.words(lang),
        "service_name": category.name_en if lang == "en" else category.name_id,
        "service_code": row.category_code,
        "description": row.description,
        "agency_responsible": row.department_name,
        "service_notice": None,
        "requested_datetime": w3c(row.created_at),
        "updated_datetime": w3c(row.updated_at),
        "expected_datetime": w3c(end_of_day(row.due_at)) if row.due_at else None,
        "address": address or (area.name if area else None),
        "address_id": row.area_code,
        "zipcode": area.postal_code if area else None,
        "lat": lat,
        "long": long,
        "media_url": None,
    }
