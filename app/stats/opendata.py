"""Open data: monthly figures per service as CSV and JSON, a datapackage and a DCAT catalogue."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from app.db import Session
from app.office import today as office_today
from app.stats import repository
from app.stats.complaints import opendata as complaints_opendata
from app.stats.figures import DEADLINE_COUNTS, MIN_CELL
from app.stats.service import monthly_rows, monthly_rows_by_service, months_between

OPEN_DATA_MONTHS = 24
SUPPRESSED = "<10"
COUNT_FIELDS = ("received", "approved", "rejected", *DEADLINE_COUNTS)
STAT_FIELDS = ("median_working_days", "p90_working_days", "pct_within_sla")
FIELDS = ("service_code", "month", *COUNT_FIELDS[:3], *STAT_FIELDS, *DEADLINE_COUNTS)
_DESCRIPTIONS = {
    "service_code": "Service code in the Loket catalogue",
    "month": "Calendar month (office time, LOKET_TIMEZONE)",
    "received": "Applications submitted in the month",
    "approved": "Applications approved in the month",
    "rejected": "Applications rejected in the month",
    "median_working_days": "Median working days the authority held a decided file",
    "p90_working_days": "90th percentile (nearest rank) of those working days",
    "pct_within_sla": "Percent of decisions on or before the due working day (an extension's "
    "extra days are not: see extensions)",
    "warnings": "Deadline warnings sent to the office in the month",
    "escalations": "Applications escalated to the head of department at their deadline",
    "extensions": "Deadlines extended by the office (once per application, with a reason)",
    "deemed_approvals": "Applications approved by operation of law (fiktif positif)",
    "objections": "Objections (keberatan) filed against a decision",
    "objections_upheld": "Objections answered by upholding the decision",
    "objections_granted": "Objections granted by the head of department",
    "objections_deemed_granted": "Objections granted by operation of law (not answered in time)",
}
_TYPES = {
    "service_code": "string",
    "month": "yearmonth",
    "median_working_days": "number",
    "pct_within_sla": "number",
}


def monthly_records(session: Session, *, today: date) -> list[dict]:
    """Per service and month over the last 24 months, suppressed."""
    first = date(today.year - 2, today.month, 1)
    months = months_between(first, today)[-OPEN_DATA_MONTHS:]
    by_service = monthly_rows_by_service(session, months=months)
    records = []
    for service in repository.current_services(session):
        rows = by_service.get(service.code) or monthly_rows(
            session, service_code=service.code, months=months
        )
        for row in rows:
            records.append(
                {name: row.get(name) for name in FIELDS}
                | {"service_code": service.code, "suppressed": row["suppressed"]}
            )
    return records


# (database URL) -> (office day, computed at, records): the open data covers every service, so
# a process computes it at most once a minute.
_RECENT: dict[str, tuple[date, datetime, list[dict]]] = {}
KEEP_FOR = timedelta(seconds=60)


def recent_monthly_records(session: Session) -> list[dict]:
    """``monthly_records`` up to today, kept per process for a minute."""
    key = str(session.get_bind().engine.url)
    today, now = office_today(), datetime.now(UTC)
    kept = _RECENT.get(key)
    if kept is None or kept[0] != today or now - kept[1] > KEEP_FOR:
        kept = (today, now, monthly_records(session, today=today))
        _RECENT[key] = kept
    return kept[2]


def monthly_csv(session: Session) -> str:
    """The open data's monthly CSV."""
    return to_csv(recent_monthly_records(session))


def monthly_json(session: Session) -> dict:
    """The open data's monthly records as JSON, with the suppression threshold."""
    return {"min_cell": MIN_CELL, "records": recent_monthly_records(session)}


def to_csv(records: list[dict]) -> str:
    """CSV with '<10' in suppressed counts and an empty cell for suppressed statistics."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for record in records:
        writer.writerow([_csv_cell(name, record) for name in FIELDS])
    return out.getvalue()


def _csv_cell(name: str, record: dict) -> str:
    value = record[name]
    if value is None:
        return SUPPRESSED if name in COUNT_FIELDS else ""
    return str(value)


def datapackage(*, base_url: str) -> dict:
    """Frictionless Data Package describing the CSV."""
    fields = [
        {"name": n, "type": _TYPES.get(n, "integer"), "description": _DESCRIPTIONS[n]}
        for n in FIELDS
    ]
    return {
        "name": "loket-applications-monthly",
        "title": "Loket: permit applications per service and month",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "description": f"Cells built from fewer than {MIN_CELL} applications are suppressed. "
        "Complaints are public reports, one row each, without personal data.",
        "resources": [
            {
                "name": "applications-monthly",
                "path": f"{base_url}/open-data/applications-monthly.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": fields,
                    "missingValues": ["", SUPPRESSED],
                    "primaryKey": ["service_code", "month"],
                },
            },
            complaints_opendata.resource(base_url=base_url),
        ],
    }


def _distributions(base_url: str, *files: tuple[str, str]) -> list[dict]:
    return [
        {
            "@type": "dcat:Distribution",
            "dcat:downloadURL": {"@id": f"{base_url}{path}"},
            "dcat:mediaType": media,
        }
        for path, media in files
    ]


def catalog(*, base_url: str, authority: str) -> dict:
    """DCAT catalogue of the open data, as JSON-LD with an inline context."""
    package = ("/open-data/datapackage.json", "application/json")
    distributions = _distributions(
        base_url,
        ("/open-data/applications-monthly.csv", "text/csv"),
        ("/open-data/applications-monthly.json", "application/json"),
        package,
    )
    complaint_files = _distributions(
        base_url,
        ("/open-data/complaints.csv", "text/csv"),
        ("/open-data/complaints.json", "application/json"),
        package,
    )
    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"},
        "@id": f"{base_url}/open-data/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": "Loket open data",
        "dct:publisher": authority,
        "dcat:dataset": [
            {
                "@id": f"{base_url}/open-data/applications-monthly",
                "@type": "dcat:Dataset",
                "dct:title": "Permit applications per service and month",
                "dct:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
                "dcat:distribution": distributions,
            },
            {
                "@id": f"{base_url}/open-data/complaints",
                "@type": "dcat:Dataset",
                "dct:title": "Public complaint reports (Open311 GeoReport v2 columns)",
                "dct:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
                "dcat:distribution": complaint_files,
            },
        ],
    }
