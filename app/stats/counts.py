"""Counts per service, department and day or month: moved by the facts refresh, summed by the
figures. Any period is whole months (month rows) plus the days at either end (day rows)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Table, and_, case, func, or_, select
from sqlmodel import Session

from app.models import StatsCount, StatsWorkingDays
from app.stats.figures import BACKLOG_BUCKETS, Period

if TYPE_CHECKING:
    from app.stats.facts import Fact

COUNT_COLUMNS = (
    "received",
    "still_open",
    "approved",
    "rejected",
    "withdrawn",
    "within_sla",
    "revised",
)
_COUNTS: Table = StatsCount.__table__  # type: ignore[attr-defined]
_TIMES: Table = StatsWorkingDays.__table__  # type: ignore[attr-defined]
_KEY = ("grain", "starts_on", "service_code", "department_id")


def month_of(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def add(tally: Counter, times: Counter, fact: Fact, *, sign: int) -> None:
    """Count ``fact`` in (``sign=1``) or out of (``sign=-1``) its days and months."""
    for grain, start in (("day", fact.submitted_on), ("month", month_of(fact.submitted_on))):
        key = (grain, start, fact.service_code, fact.department_id)
        tally[key, "received"] += sign
        if fact.outcome is None:
            tally[key, "still_open"] += sign
    if fact.outcome is None or fact.decided_on is None:
        return
    for grain, start in (("day", fact.decided_on), ("month", month_of(fact.decided_on))):
        key = (grain, start, fact.service_code, fact.department_id)
        tally[key, fact.outcome] += sign
        if fact.outcome == "withdrawn":
            continue
        tally[key, "within_sla"] += sign * bool(fact.within_sla)
        tally[key, "revised"] += sign * fact.revision_requested
        times[(*key, fact.working_days)] += sign


def _insert(session: Session, table: Table):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def upsert(
    session: Session,
    table: Table,
    rows: list[dict],
    *,
    key: Sequence[str],
    replace: Iterable[str] = (),
    increment: Iterable[str] = (),
) -> None:
    """Insert ``rows``; on a key conflict, replace the ``replace`` columns and add to the
    ``increment`` ones (one executemany, on PostgreSQL and SQLite alike)."""
    statement = _insert(session, table)
    changes = {name: statement.excluded[name] for name in replace}
    changes |= {name: table.c[name] + statement.excluded[name] for name in increment}
    session.execute(statement.on_conflict_do_update(index_elements=key, set_=changes), rows)


def insert_missing(session: Session, table: Table, row: dict) -> None:
    """Insert ``row`` unless its key exists already."""
    session.execute(_insert(session, table).values(row).on_conflict_do_nothing())


def write(session: Session, tally: Counter, times: Counter) -> None:
    """Move the stored counts by ``tally`` and ``times`` (differences, zeros skipped)."""
    by_key: dict[tuple, dict[str, int]] = defaultdict(dict)
    for (key, name), delta in tally.items():
        if delta:
            by_key[key][name] = delta
    rows = [
        dict(zip(_KEY, key, strict=True)) | {name: deltas.get(name, 0) for name in COUNT_COLUMNS}
        for key, deltas in sorted(by_key.items())
    ]
    if rows:
        upsert(session, _COUNTS, rows, key=_KEY, increment=COUNT_COLUMNS)
    moved = [
        dict(zip((*_KEY, "working_days"), key, strict=True)) | {"decided": delta}
        for key, delta in sorted(times.items())
        if delta
    ]
    if moved:
        upsert(session, _TIMES, moved, key=(*_KEY, "working_days"), increment=("decided",))


def _segments(period: Period) -> list[tuple[str, date, date]]:
    """``period`` as whole months (by their first days) and the loose days at either end."""
    first_whole = period.start if period.start.day == 1 else _next_month(period.start)
    after_whole = month_of(period.end + timedelta(days=1))
    if first_whole >= after_whole:
        return [("day", period.start, period.end)]
    segments = [("month", first_whole, month_of(after_whole - timedelta(days=1)))]
    if period.start < first_whole:
        segments.append(("day", period.start, first_whole - timedelta(days=1)))
    if after_whole <= period.end:
        segments.append(("day", after_whole, period.end))
    return segments


def _within(table: Table, period: Period):
    c = table.c
    return or_(
        *(
            and_(c.grain == grain, c.starts_on.between(first, last))
            for grain, first, last in _segments(period)
        )
    )


def period_counts(session: Session, *, period: Period, by: str) -> dict:
    """Summed counts per ``by`` (``service_code`` or ``department_id``) over ``period``."""
    c = _COUNTS.c
    query = (
        select(c[by], *[func.sum(c[name]) for name in COUNT_COLUMNS])
        .where(_within(_COUNTS, period))
        .group_by(c[by])
    )
    return {
        row[0]: dict(zip(COUNT_COLUMNS, row[1:], strict=True)) for row in session.execute(query)
    }


def period_times(session: Session, *, period: Period, by: str) -> dict[object, dict[int, int]]:
    """Decisions per number of working days, per ``by``, decided in ``period``."""
    c = _TIMES.c
    query = (
        select(c[by], c.working_days, func.sum(c.decided))
        .where(_within(_TIMES, period))
        .group_by(c[by], c.working_days)
    )
    out: dict[object, dict[int, int]] = defaultdict(dict)
    for key, days, decided in session.execute(query):
        out[key][days] = decided
    return out


def open_now(session: Session, *, today: date, by: str) -> dict[object, tuple[int, dict]]:
    """Open applications per ``by``: how many, and how many in each age bucket."""
    c = _COUNTS.c
    buckets = []
    for _, low, high in BACKLOG_BUCKETS:
        age = c.starts_on <= today - timedelta(days=low)
        if high is not None:
            age = and_(age, c.starts_on >= today - timedelta(days=high))
        buckets.append(func.sum(case((age, c.still_open), else_=0)))
    query = (
        select(c[by], func.sum(c.still_open), *buckets)
        .where(c.grain == "day", c.still_open != 0)
        .group_by(c[by])
    )
    labels = [label for label, _, _ in BACKLOG_BUCKETS]
    return {
        row[0]: (row[1], dict(zip(labels, row[2:], strict=True))) for row in session.execute(query)
    }


def monthly(
    session: Session, *, first: date, last: date, service_code: str | None = None
) -> tuple[dict, dict]:
    """Counts and working-day counts per (service, first day of month) for ``first``..``last``."""
    c, t = _COUNTS.c, _TIMES.c
    counted = select(c.service_code, c.starts_on, *[func.sum(c[n]) for n in COUNT_COLUMNS]).where(
        c.grain == "month", c.starts_on.between(first, last)
    )
    timed = select(t.service_code, t.starts_on, t.working_days, func.sum(t.decided)).where(
        t.grain == "month", t.starts_on.between(first, last)
    )
    if service_code is not None:
        counted = counted.where(c.service_code == service_code)
        timed = timed.where(t.service_code == service_code)
    counts = {
        (row[0], row[1]): dict(zip(COUNT_COLUMNS, row[2:], strict=True))
        for row in session.execute(counted.group_by(c.service_code, c.starts_on))
    }
    times: dict[tuple, dict[int, int]] = defaultdict(dict)
    grouped = timed.group_by(t.service_code, t.starts_on, t.working_days)
    for code, month, days, decided in session.execute(grouped):
        times[code, month][days] = decided
    return counts, times
