"""Complaint statistics per category and per department, with the applications' small-cell
suppression: received, open now, time to first response and to a verified fix (median and
p90), the share within the category's SLA, the reopen rate and the mean rating.

A period counts the complaints submitted in it (office days, as for applications) and follows
them to now: how fast they were answered, whether their fix held. Durations are elapsed hours
(resolution shown in days of 24 hours); "within the SLA" is the case's own deadlines: the first
response by ``response_due_at`` (office hours), the fix verified by the due working day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta

from app.db import Session
from app.office import today as office_today
from app.office import zone as office_zone
from app.stats import repository as stats_repository
from app.stats.complaints import repository
from app.stats.figures import MIN_CELL, Cell, Period, complete, median_of, percentile_of
from app.stats.service import parse_period
from app.workflow.definitions import get_workflow

WORKFLOW = "complaint"
# Counts hidden at 1..9 (a zero reveals nobody), and what each rate needs at least MIN_CELL of.
COUNTS = ("received", "open_now", "responded", "resolved", "rated")
RATES = {
    "median_response_hours": "responded",
    "p90_response_hours": "responded",
    "pct_response_within_sla": "responded",
    "median_resolution_days": "resolved",
    "p90_resolution_days": "resolved",
    "pct_resolved_within_sla": "resolved",
    "reopen_rate": "fixed",
    "mean_rating": "rated",
}
FIGURES = (*COUNTS, *RATES)
PERCENT_FIGURES = frozenset({"pct_response_within_sla", "pct_resolved_within_sla", "reopen_rate"})


def _resolved_states() -> list[str]:
    workflow = get_workflow(WORKFLOW)
    return sorted(s.name for s in workflow.states if s.outcome == "resolved")


def _bounds(period: Period) -> tuple[datetime, datetime]:
    zone = office_zone()
    start = datetime.combine(period.start, time(), zone).astimezone(UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def _raw(session: Session, period: Period) -> tuple[dict, dict, dict, dict]:
    """(counts, response hours, resolution hours, open now), each per (category, department)."""
    start, end = _bounds(period)
    states = _resolved_states()
    zone = office_zone()
    offset = zone.utcoffset(datetime.now(UTC).replace(tzinfo=None)) or timedelta()
    counted = repository.period_counts(
        session, start=start, end=end, resolved_states=states, zone=zone.key, offset=offset
    )
    response = repository.period_hours(
        session, start=start, end=end, moment="response", resolved_states=states
    )
    resolution = repository.period_hours(
        session, start=start, end=end, moment="resolution", resolved_states=states
    )
    return counted, response, resolution, repository.open_now(session)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _days(hours: float | None) -> float | None:
    return None if hours is None else round(hours / 24, 1)


def summarise(
    counts: Mapping[str, int],
    response: Mapping[int, int],
    resolution: Mapping[int, int],
    *,
    open_now: int,
) -> dict:
    """Raw (unsuppressed) figures of one group."""
    responded, resolved = counts.get("responded", 0), counts.get("resolved", 0)
    rated = counts.get("rated", 0)
    p90_resolution = percentile_of(resolution, 0.9)
    return {
        "received": counts.get("received", 0),
        "open_now": open_now,
        "responded": responded,
        "resolved": resolved,
        "rated": rated,
        "fixed": counts.get("fixed", 0),
        "median_response_hours": median_of(response),
        "p90_response_hours": percentile_of(response, 0.9),
        "pct_response_within_sla": _share(counts.get("responded_in_time", 0), responded),
        "median_resolution_days": _days(median_of(resolution)),
        "p90_resolution_days": _days(p90_resolution),
        "pct_resolved_within_sla": _share(counts.get("resolved_in_time", 0), resolved),
        "reopen_rate": _share(counts.get("reopened", 0), counts.get("fixed", 0)),
        "mean_rating": round(counts.get("rating_sum", 0) / rated, 1) if rated else None,
    }


def _add(into: dict, counts: Mapping[str, int]) -> None:
    for name, value in counts.items():
        into[name] = into.get(name, 0) + value


def _add_histogram(into: dict[int, int], histogram: Mapping[int, int]) -> None:
    for hours, count in histogram.items():
        into[hours] = into.get(hours, 0) + count


def rolled_up(raw: tuple[dict, dict, dict, dict], *, by: int) -> dict[object, dict]:
    """Raw figures per category code (``by=0``) or department id (``by=1``)."""
    counted, response, resolution, opened = raw
    counts: dict = defaultdict(dict)
    responses: dict = defaultdict(dict)
    resolutions: dict = defaultdict(dict)
    open_totals: dict = defaultdict(int)
    for group, values in counted.items():
        _add(counts[group[by]], values)
    for group, histogram in response.items():
        _add_histogram(responses[group[by]], histogram)
    for group, histogram in resolution.items():
        _add_histogram(resolutions[group[by]], histogram)
    for group, number in opened.items():
        open_totals[group[by]] += number
    keys = counts.keys() | open_totals.keys()
    return {
        key: summarise(
            counts.get(key, {}),
            responses.get(key, {}),
            resolutions.get(key, {}),
            open_now=open_totals.get(key, 0),
        )
        for key in keys
    }


def _initial_hidden(index: int, row: dict) -> set[Cell]:
    hidden = {(index, name) for name in COUNTS if row[name] and row[name] < MIN_CELL}
    # A rate of nothing is no figure (None, shown as "-"), not a hidden one.
    hidden |= {(index, rate) for rate, base in RATES.items() if 0 < row[base] < MIN_CELL}
    return hidden


def publish(rows: list[dict]) -> list[dict]:
    """Rows with small cells (and the cells that would give them away) set to None, listed
    under ``suppressed``. The rows of one table add up to the same total as the other table's,
    so each count's column is one group: one hidden cell alone in it would be derivable."""
    hidden: set[Cell] = set()
    for index, row in enumerate(rows):
        hidden |= _initial_hidden(index, row)
    if len(rows) > 1:
        groups = [[(i, name) for i in range(len(rows))] for name in COUNTS]
        hidden = complete(rows, hidden, groups)
    published = []
    for index, row in enumerate(rows):
        names = sorted(name for i, name in hidden if i == index)
        out = {name: (None if name in names else row[name]) for name in FIGURES}
        published.append(out | {"suppressed": names})
    return published


def _empty() -> dict:
    return summarise({}, {}, {}, open_now=0)


def complaint_stats(session: Session, *, period: Period) -> dict:
    """Published figures per current category and per department over ``period``."""
    raw = _raw(session, period)
    by_category, by_department = rolled_up(raw, by=0), rolled_up(raw, by=1)
    categories = repository.current_categories(session)
    departments = sorted(stats_repository.departments(session).values(), key=lambda d: d.code)
    # A department appears when it has a category or a complaint (a referral brings one in).
    homes = {category.department_id for category in categories}
    departments = [d for d in departments if d.id in homes or d.id in by_department]
    codes = {d.id: d.code for d in departments}
    category_rows = publish([by_category.get(c.code) or _empty() for c in categories])
    department_rows = publish([by_department.get(d.id) or _empty() for d in departments])
    return {
        "from": period.start,
        "to": period.end,
        "min_cell": MIN_CELL,
        "categories": [
            {
                "category_code": category.code,
                "category_name": {"id": category.name_id, "en": category.name_en},
                "department_code": codes.get(category.department_id),
                "response_hours_sla": category.response_hours,
                "resolution_days_sla": category.resolution_days,
            }
            | row
            for category, row in zip(categories, category_rows, strict=True)
        ],
        "departments": [
            {"department_code": d.code, "department_name": d.name} | row
            for d, row in zip(departments, department_rows, strict=True)
        ],
    }


def complaints_now(session: Session, *, start: date | None, end: date | None) -> dict:
    """Figures per category and department over a period (default: the last 90 days)."""
    period = parse_period(start=start, end=end, today=office_today())
    return complaint_stats(session, period=period)


def for_department(figures: dict, department_code: str) -> tuple[list[dict], dict | None]:
    """The categories of one department and its total, from published figures."""
    rows: Iterable[dict] = figures["categories"]
    mine = [row for row in rows if row["department_code"] == department_code]
    total = next(
        (row for row in figures["departments"] if row["department_code"] == department_code),
        None,
    )
    return mine, total
