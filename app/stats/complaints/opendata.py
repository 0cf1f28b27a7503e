"""Open data of complaints: one row per public report of the last 12 months, in the columns of
an Open311 GeoReport v2 bulk export, as CSV and JSON.

What a row never carries: the description (free text may name people), a name, a contact, an
account, photos, or the exact point (coordinates are rounded to 3 decimals, about 110 m, for
every category). Reports of non-public categories, and non-public reports, are left out.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from app.complaints.geo import rounded
from app.complaints.open311.common import w3c
from app.db import Session
from app.office import today as office_today
from app.stats.complaints import repository
from app.workflow.definitions import get_workflow

MONTHS = 12
FIELDS = (
    "service_request_id",
    "service_code",
    "service_name",
    "service_name_en",
    "status",
    "requested_datetime",
    "updated_datetime",
    "agency_responsible",
    "agency_code",
    "area_code",
    "lat",
    "long",
)
DESCRIPTIONS = {
    "service_request_id": "Report reference number (as in Open311 GeoReport v2)",
    "service_code": "Complaint category code in the Loket catalogue",
    "service_name": "Category name (Indonesian)",
    "service_name_en": "Category name (English)",
    "status": "Open311 status: open or closed",
    "requested_datetime": "When the report was filed (UTC)",
    "updated_datetime": "When the report last changed (UTC)",
    "agency_responsible": "Department handling the report",
    "agency_code": "Code of that department",
    "area_code": "Kelurahan of the report (Kemendagri code), when given",
    "lat": "Latitude rounded to 3 decimals (about 110 m), when given",
    "long": "Longitude rounded to 3 decimals (about 110 m), when given",
}
TYPES = {"requested_datetime": "datetime", "updated_datetime": "datetime", "lat": "number"}
TYPES["long"] = "number"


def _since(today: date) -> datetime:
    first = date(today.year - 1, today.month, 1)
    return datetime.combine(first, datetime.min.time(), UTC)


def _status(workflow: str, state: str) -> str:
    return get_workflow(workflow).state(state).open311_status or "open"


def _record(row) -> dict:
    return {
        "service_request_id": row.reference,
        "service_code": row.category_code,
        "service_name": row.name_id,
        "service_name_en": row.name_en,
        "status": _status(row.workflow, row.state),
        "requested_datetime": w3c(row.submitted_at),
        "updated_datetime": w3c(row.updated_at),
        "agency_responsible": row.department_name,
        "agency_code": row.department_code,
        "area_code": row.area_code,
        "lat": rounded(row.latitude) if row.latitude is not None else None,
        "long": rounded(row.longitude) if row.longitude is not None else None,
    }


def complaint_records(session: Session, *, today: date) -> list[dict]:
    """Every public report submitted since the first day of the month a year before ``today``."""
    return [
        _record(row)
        for rows in repository.public_reports(session, since=_since(today))
        for row in rows
    ]


# (database URL) -> (computed at, records): the file covers a year of reports, so a process
# builds it at most once a minute (as the applications' open data).
_RECENT: dict[str, tuple[datetime, list[dict]]] = {}
KEEP_FOR = timedelta(seconds=60)


def recent_records(session: Session) -> list[dict]:
    key = str(session.get_bind().engine.url)
    now = datetime.now(UTC)
    kept = _RECENT.get(key)
    if kept is None or now - kept[0] > KEEP_FOR:
        kept = (now, complaint_records(session, today=office_today()))
        _RECENT[key] = kept
    return kept[1]


def forget_recent() -> None:
    """Drop the kept records (tests that add reports and read the file again)."""
    _RECENT.clear()


def complaints_csv(session: Session) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for record in recent_records(session):
        writer.writerow(["" if record[name] is None else record[name] for name in FIELDS])
    return out.getvalue()


def complaints_json(session: Session) -> dict:
    return {"fields": list(FIELDS), "records": recent_records(session)}


def resource(*, base_url: str) -> dict:
    """The datapackage resource describing ``complaints.csv``."""
    return {
        "name": "complaints",
        "path": f"{base_url}/open-data/complaints.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": "Public complaint reports of the last 12 months, Open311 GeoReport v2 "
        "columns; no description, name, contact or exact point.",
        "schema": {
            "fields": [
                {"name": n, "type": TYPES.get(n, "string"), "description": DESCRIPTIONS[n]}
                for n in FIELDS
            ],
            "missingValues": [""],
            "primaryKey": ["service_request_id"],
        },
    }
