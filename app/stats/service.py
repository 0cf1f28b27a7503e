"""Statistics read from the facts table: periods, services, departments, months."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from app.applications.kind import NAME as KIND
from app.cases import deadlines
from app.db import Session
from app.errors import Msg, NotFound, invalid
from app.models import Service
from app.office import today as office_today
from app.office import zone as office_zone
from app.stats import counts, repository
from app.stats.figures import DEADLINE_COUNTS, MIN_CELL, Period, publish, summarise

DEFAULT_DAYS = 90
MAX_DAYS = 3660
MAX_MONTHS = 120
# The days figures may be asked for: the period arithmetic (90 days or a year of months back, a
# month forward) must stay within what a date can hold (0001-01-01 was a 500).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def parse_period(*, start: date | None, end: date | None, today: date) -> Period:
    """The requested range (default: the last 90 days); reversed or huge ranges are refused."""
    check_day("from", start)
    check_day("to", end)
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise invalid("from", "Tanggal awal setelah tanggal akhir", "'from' is after 'to'")
    if (end - start).days >= MAX_DAYS:
        raise invalid("to", "Rentang paling lama 10 tahun", "The range may span at most 10 years")
    return Period(start, end)


def check_day(field: str, day: date | None) -> None:
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise invalid(
            field,
            f"Tanggal harus antara {FIRST_DAY} dan {LAST_DAY}",
            f"The date must be from {FIRST_DAY} to {LAST_DAY}",
        )


def _bounds(period: Period) -> tuple[datetime, datetime]:
    zone = office_zone()
    start = datetime.combine(period.start, time(), zone).astimezone(UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def _certificates(session: Session, period: Period, moment: str, by: str = "service_code") -> dict:
    start, end = _bounds(period)
    return repository.certificates_between(session, moment=moment, by=by, start=start, end=end)


def deadline_figures(session: Session, period: Period, by: str) -> dict[object, dict[str, int]]:
    """Deadline events of applications in ``period`` per ``by`` (``service_code`` or
    ``department_id``): warnings, escalations, extensions, deemed approvals, objections."""
    start, end = _bounds(period)
    found: dict[object, dict[str, int]] = {}
    for row in deadlines.deadline_counts(session, kinds=(KIND,), start=start, end=end):
        key = row.subject_code if by == "service_code" else row.department_id
        totals = found.setdefault(key, dict.fromkeys(DEADLINE_COUNTS, 0))
        for name in DEADLINE_COUNTS:
            totals[name] += row.counts[name]
    return found


def _with_deadlines(row: dict, counted: dict[str, int] | None) -> dict:
    return row | (counted or dict.fromkeys(DEADLINE_COUNTS, 0))


def raw_figures(session: Session, *, period: Period, today: date, by: str) -> dict[object, dict]:
    """Unsuppressed figures per ``by`` (``service_code`` or ``department_id``) that has any."""
    counted = counts.period_counts(session, period=period, by=by)
    times = counts.period_times(session, period=period, by=by)
    opened = repository.open_now(session, today=today, by=by)
    rows = {}
    for key in counted.keys() | times.keys() | opened.keys():
        open_now, backlog = opened.get(key, (0, None))
        rows[key] = summarise(
            counted.get(key, {}), times.get(key, {}), open_now=open_now, backlog=backlog
        )
    return rows


def _row(figures: dict, key: object) -> dict:
    return figures.get(key) or summarise({}, {})


def _service_rows(session: Session, period: Period, today: date) -> tuple[list, list[dict]]:
    """Raw rows per current service, with certificate counts."""
    figures = raw_figures(session, period=period, today=today, by="service_code")
    issued = _certificates(session, period, "issued_at")
    revoked = _certificates(session, period, "revoked_at")
    bound = deadline_figures(session, period, "service_code")
    services = repository.current_services(session)
    rows = []
    for service in services:
        row = _row(figures, service.code)
        row["certificates_issued"] = issued.get(service.code, 0)
        row["certificates_revoked"] = revoked.get(service.code, 0)
        rows.append(_with_deadlines(row, bound.get(service.code)))
    return services, rows


def _envelope(period: Period, key: str, items: list[dict]) -> dict:
    return {"from": period.start, "to": period.end, "min_cell": MIN_CELL, key: items}


def service_stats(session: Session, *, period: Period, today: date) -> dict:
    """Per-service figures, suppressed, including across services of one department."""
    services, rows = _service_rows(session, period, today)
    siblings: dict[int, list[int]] = defaultdict(list)
    for index, service in enumerate(services):
        siblings[service.department_id].append(index)
    departments = repository.departments(session)
    items = [
        {
            "service_code": s.code,
            "service_name": {"id": s.name_id, "en": s.name_en},
            "department_code": departments[s.department_id].code,
        }
        | row
        for s, row in zip(services, publish(rows, siblings=list(siblings.values())), strict=True)
    ]
    return _envelope(period, "services", items)


def department_stats(session: Session, *, period: Period, today: date) -> dict:
    """Per-department figures, suppressed."""
    figures = raw_figures(session, period=period, today=today, by="department_id")
    issued = _certificates(session, period, "issued_at", by="department_id")
    revoked = _certificates(session, period, "revoked_at", by="department_id")
    bound = deadline_figures(session, period, "department_id")
    departments = sorted(repository.departments(session).values(), key=lambda d: d.code)
    rows = []
    for department in departments:
        assert department.id is not None
        row = _row(figures, department.id)
        row["certificates_issued"] = issued.get(department.id, 0)
        row["certificates_revoked"] = revoked.get(department.id, 0)
        rows.append(_with_deadlines(row, bound.get(department.id)))
    items = [
        {"department_code": d.code, "department_name": d.name} | row
        for d, row in zip(departments, publish(rows), strict=True)
    ]
    return _envelope(period, "departments", items)


def default_series_start(end: date) -> date:
    """The first day of the month eleven months before ``end``: a year of months."""
    index = end.year * 12 + end.month - 1 - 11
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[Period]:
    """Calendar months overlapping ``start``..``end``, each as a whole month."""
    months, current = [], date(start.year, start.month, 1)
    while current <= end:
        following = date(current.year + current.month // 12, current.month % 12 + 1, 1)
        months.append(Period(current, following - timedelta(days=1)))
        current = following
    return months


def service_or_404(session: Session, code: str) -> Service:
    """The current version of a service by code, or NotFound."""
    found = repository.current_service(session, code)
    if found is None:
        raise NotFound(Msg(f"Layanan {code!r} tidak dikenal", f"Unknown service {code!r}"))
    return found


def monthly_rows_by_service(
    session: Session, *, months: list[Period], service_code: str | None = None
) -> dict[str, list[dict]]:
    """Published per-month figures (no backlog: that is a now-figure) per service code with
    any counts in ``months`` (whole calendar months), each service suppressed on its own."""
    counted, times = repository.monthly(
        session, first=months[0].start, last=months[-1].start, service_code=service_code
    )
    bound: dict[tuple[str, date], dict[str, int]] = {
        (str(code), month.start): figures
        for month in months
        for code, figures in deadline_figures(session, month, "service_code").items()
        if service_code is None or code == service_code
    }
    codes: set[str] = {code for code, _ in counted} | {code for code, _ in times}
    codes |= {code for code, _ in bound}
    return {code: _published_months(counted, times, code, months, bound) for code in codes}


def _published_months(
    counted: dict, times: dict, code: str, months: list[Period], bound: dict | None = None
) -> list:
    rows = []
    for month in months:
        row = summarise(counted.get((code, month.start), {}), times.get((code, month.start), {}))
        del row["open_now"], row["backlog"]
        rows.append(_with_deadlines(row, (bound or {}).get((code, month.start))))
    return [
        {"month": month.start.strftime("%Y-%m")} | row
        for month, row in zip(months, publish(rows), strict=True)
    ]


def monthly_rows(session: Session, *, service_code: str, months: list[Period]) -> list:
    """Published per-month figures for one service."""
    found = monthly_rows_by_service(session, months=months, service_code=service_code)
    return found.get(service_code) or _published_months({}, {}, service_code, months)


def timeseries(session: Session, *, service_code: str, interval: str, period: Period) -> dict:
    """Monthly figures for one service."""
    if interval != "month":
        raise invalid("interval", "Hanya 'month' yang didukung", "Only 'month' is supported")
    service = service_or_404(session, service_code)
    months = months_between(period.start, period.end)
    if len(months) > MAX_MONTHS:
        raise invalid("from", "Paling banyak 120 bulan", "At most 120 months")
    rows = monthly_rows(session, service_code=service.code, months=months)
    return {
        "service_code": service.code,
        "interval": interval,
        "min_cell": MIN_CELL,
        "series": rows,
    }


# What the JSON endpoints answer, each in one call (the period read from the query).


def services_now(session: Session, *, start: date | None, end: date | None) -> dict:
    """Figures per service over a period (default: the last 90 days up to today)."""
    today = office_today()
    period = parse_period(start=start, end=end, today=today)
    return service_stats(session, period=period, today=today)


def departments_now(session: Session, *, start: date | None, end: date | None) -> dict:
    """Figures per department over a period (default: the last 90 days up to today)."""
    today = office_today()
    period = parse_period(start=start, end=end, today=today)
    return department_stats(session, period=period, today=today)


def timeseries_now(
    session: Session, *, service_code: str, interval: str, start: date | None, end: date | None
) -> dict:
    """One service's figures per month (default: the months up to today)."""
    today = office_today()
    check_day("to", end)
    end = end or today
    period = parse_period(start=start or default_series_start(end), end=end, today=today)
    return timeseries(session, service_code=service_code, interval=interval, period=period)
