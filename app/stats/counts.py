"""Counts per service, department and day or month: moved by the facts refresh, summed by the
figures. Any period is whole months (month rows) plus the days at either end (day rows)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING

from app.db import Session
from app.stats import repository
from app.stats.figures import Period
from app.stats.repository import COUNT_COLUMNS, KEY

if TYPE_CHECKING:
    from app.stats.facts import Fact

__all__ = ["COUNT_COLUMNS", "add", "month_of", "period_counts", "period_times", "write"]


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


def write(session: Session, tally: Counter, times: Counter) -> None:
    """Move the stored counts by ``tally`` and ``times`` (differences, zeros skipped)."""
    by_key: dict[tuple, dict[str, int]] = defaultdict(dict)
    for (key, name), delta in tally.items():
        if delta:
            by_key[key][name] = delta
    rows = [
        dict(zip(KEY, key, strict=True)) | {name: deltas.get(name, 0) for name in COUNT_COLUMNS}
        for key, deltas in sorted(by_key.items())
    ]
    if rows:
        repository.move_counts(session, rows)
    moved = [
        dict(zip((*KEY, "working_days"), key, strict=True)) | {"decided": delta}
        for key, delta in sorted(times.items())
        if delta
    ]
    if moved:
        repository.move_working_days(session, moved)


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


def period_counts(session: Session, *, period: Period, by: str) -> dict:
    """Summed counts per ``by`` (``service_code`` or ``department_id``) over ``period``."""
    return repository.period_counts(session, segments=_segments(period), by=by)


def period_times(session: Session, *, period: Period, by: str) -> dict[object, dict[int, int]]:
    """Decisions per number of working days, per ``by``, decided in ``period``."""
    return repository.period_times(session, segments=_segments(period), by=by)
