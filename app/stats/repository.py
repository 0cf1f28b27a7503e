"""Queries for statistics: the stored counts, certificates per period, the current services.

The facts refresh (``app.stats.facts``) still holds its own queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import Table, and_, case, delete, exists, func, literal, or_, tuple_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.db import table_of, upsert
from app.models import (
    ApplicationFact,
    Case,
    Certificate,
    Department,
    Event,
    Service,
    StatsCount,
    StatsState,
    StatsWorkingDays,
)
from app.stats.figures import BACKLOG_BUCKETS

COUNT_COLUMNS = (
    "received",
    "still_open",
    "approved",
    "rejected",
    "withdrawn",
    "within_sla",
    "revised",
)
KEY = ("grain", "starts_on", "service_code", "department_id")
_COUNTS = table_of(StatsCount)
_TIMES = table_of(StatsWorkingDays)
_CASES = table_of(Case)
_EVENTS = table_of(Event)
_FACTS = table_of(ApplicationFact)
_STATE = table_of(StatsState)
# A segment of a period: ("day" or "month", first, last), as app.stats.counts cuts them.
Segment = tuple[str, date, date]

# Moving the counts


def move_counts(session: Session, rows: list[dict]) -> None:
    """Add each row's counts to the stored ones (a missing row starts from zero)."""
    upsert(session, _COUNTS, rows, key=KEY, increment=COUNT_COLUMNS)


def move_working_days(session: Session, rows: list[dict]) -> None:
    """Add each row's ``decided`` to the stored decisions per number of working days."""
    upsert(session, _TIMES, rows, key=(*KEY, "working_days"), increment=("decided",))


def insert_missing(session: Session, table: Table, row: dict) -> None:
    """Insert ``row`` unless its primary key exists already."""
    upsert(session, table, row, key=[column.name for column in table.primary_key])


# Reading the counts


def _within(table: Table, segments: Iterable[Segment]):
    c = table.c
    return or_(
        *(
            and_(c.grain == grain, c.starts_on.between(first, last))
            for grain, first, last in segments
        )
    )


def period_counts(session: Session, *, segments: list[Segment], by: str) -> dict:
    """Summed counts per ``by`` (``service_code`` or ``department_id``) over the segments."""
    c = _COUNTS.c
    query = (
        select(c[by], *[func.sum(c[name]) for name in COUNT_COLUMNS])
        .where(_within(_COUNTS, segments))
        .group_by(c[by])
    )
    return {
        row[0]: dict(zip(COUNT_COLUMNS, row[1:], strict=True)) for row in session.execute(query)
    }


def period_times(
    session: Session, *, segments: list[Segment], by: str
) -> dict[object, dict[int, int]]:
    """Decisions per number of working days, per ``by``, decided in the segments."""
    c = _TIMES.c
    query = (
        select(c[by], c.working_days, func.sum(c.decided))
        .where(_within(_TIMES, segments))
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


# Certificates, services and departments

_CERTIFICATE_KEYS = {
    "service_code": col(Certificate.service_code),
    "department_id": col(Certificate.department_id),
}
_CERTIFICATE_MOMENTS = {
    "issued_at": col(Certificate.issued_at),
    "revoked_at": col(Certificate.revoked_at),
}


def certificates_between(
    session: Session, *, moment: str, by: str, start: datetime, end: datetime
) -> dict:
    """Certificates per ``by`` (``service_code`` or ``department_id``) whose ``moment``
    (``issued_at`` or ``revoked_at``) falls in ``start`` (inclusive) .. ``end``."""
    key, at = _CERTIFICATE_KEYS[by], _CERTIFICATE_MOMENTS[moment]
    rows = session.execute(select(key, func.count()).where(at >= start, at < end).group_by(key))
    return {code: count for code, count in rows}


def current_services(session: Session) -> list[Service]:
    """The current version of every service code, by department then code."""
    query = (
        select(Service)
        .where(col(Service.is_current))
        .order_by(col(Service.department_id), col(Service.code))
    )
    return list(session.exec(query).all())


def current_service(session: Session, code: str) -> Service | None:
    query = select(Service).where(col(Service.code) == code, col(Service.is_current))
    return session.exec(query).one_or_none()


def departments(session: Session) -> dict[int, Department]:
    return {d.id: d for d in session.exec(select(Department)).all() if d.id is not None}


# The facts refresh


def changed_cases(
    session: Session,
    *,
    kind: str,
    fact_fields: Iterable[str],
    paused_states: Iterable[str],
    since: datetime | None,
    after: tuple | None,
    limit: int,
) -> list:
    """The next batch of cases of ``kind`` changed at or after ``since``, in (updated_at, id)
    order: the columns a fact needs, whether a revision was ever requested (the case entered a
    paused state), and the stored fact (``stored`` and ``stored_<field>``)."""
    a, f = _CASES.c, _FACTS.c
    revised = exists().where(_EVENTS.c.case_id == a.id, _EVENTS.c.to_state.in_(list(paused_states)))
    # SQLAlchemy's select: SQLModel's is typed for at most a few columns.
    query = (
        core_select(
            a.id,
            a.updated_at,
            a.workflow,
            a.state,
            a.subject_code,
            a.department_id,
            a.submitted_at,
            a.decided_at,
            a.due_at,
            a.paused_working_days,
            a.extended_days,
            revised.label("revised"),
            f.application_id.label("stored"),
            *[f[name].label(f"stored_{name}") for name in fact_fields],
        )
        .select_from(_CASES.outerjoin(_FACTS, f.application_id == a.id))
        .where(a.kind == kind)
        .order_by(a.updated_at, a.id)
        .limit(limit)
    )
    if since is not None:
        query = query.where(a.updated_at >= since)
    if after is not None:
        moment, last_id = after
        position = tuple_(literal(moment, a.updated_at.type), literal(last_id, a.id.type))
        query = query.where(tuple_(a.updated_at, a.id) > position)
    return list(session.execute(query))


def delete_facts(session: Session, application_ids: list) -> None:
    session.execute(delete(_FACTS).where(_FACTS.c.application_id.in_(application_ids)))


def store_facts(session: Session, rows: list[dict], *, fields: Iterable[str]) -> None:
    """Insert or replace the facts of these applications."""
    upsert(session, _FACTS, rows, key=("application_id",), replace=fields)


def lock_refresh_state(session: Session, name: str) -> datetime | None:
    """Lock the refresh's state row (created if missing) until commit; its watermark."""
    insert_missing(session, _STATE, {"name": name})
    return session.execute(
        select(_STATE.c.watermark).where(_STATE.c.name == name).with_for_update()
    ).scalar_one()


def try_lock_refresh_state(session: Session, name: str) -> tuple[StatsState | None, bool]:
    """(the state row, locked by this transaction; or None if another holds it, whether the
    row exists at all), without waiting for a lock another process holds."""
    locked = session.execute(
        select(StatsState).where(_STATE.c.name == name).with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if locked is not None:
        return locked, True
    exists_now = session.execute(select(_STATE.c.name).where(_STATE.c.name == name)).first()
    return None, exists_now is not None


def refresh_state(session: Session, name: str) -> StatsState | None:
    return session.get(StatsState, name)


def save_refresh_state(session: Session, name: str, **values) -> None:
    session.execute(update(_STATE).where(_STATE.c.name == name).values(**values))
