"""Keep ``application_facts`` up to date from the applications changed since the last refresh."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col

from app.applications.sla import office_date
from app.db import transaction
from app.models import Application, ApplicationFact, Event, StatsState
from app.workflow.calendar import WorkingCalendar, default_calendar
from app.workflow.definitions import ACTIVE_STATES, PAUSED_STATES

log = logging.getLogger("loket.stats")

STATE_KEY = "facts"
# Re-read a little before the watermark: a transaction may commit after a later one did.
OVERLAP = timedelta(minutes=5)
REFRESH_INTERVAL = timedelta(seconds=60)
BATCH = 500
_OUTCOMES = {"approved": "approved", "revoked": "approved", "rejected": "rejected"}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def build_fact(
    application: Application, *, revised: bool, calendar: WorkingCalendar | None = None
) -> ApplicationFact | None:
    """The fact row for one application, or None if it was never submitted or is not counted."""
    if application.submitted_at is None:
        return None
    state = application.state
    outcome = _OUTCOMES.get(state) or ("withdrawn" if state == "withdrawn" else None)
    if outcome is None and state not in ACTIVE_STATES | PAUSED_STATES:
        return None
    submitted_on = office_date(_aware(application.submitted_at))
    decided_on = None
    if outcome is not None and application.decided_at is not None:
        decided_on = office_date(_aware(application.decided_at))
    fact = ApplicationFact(
        application_id=application.id,
        service_code=application.service_code,
        department_id=application.department_id,
        submitted_on=submitted_on,
        decided_on=decided_on,
        outcome=outcome,
        revision_requested=revised,
        due_on=application.due_at,
    )
    if outcome in ("approved", "rejected") and decided_on is not None:
        held = (calendar or default_calendar()).working_days_between(submitted_on, decided_on)
        fact.working_days = max(0, held - application.paused_working_days)
        fact.within_sla = application.due_at is None or decided_on <= application.due_at
    return fact


def _revised_ids(session: Session, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = session.execute(
        select(col(Event.application_id))
        .where(col(Event.application_id).in_(ids), col(Event.to_state) == "revision_requested")
        .distinct()
    )
    return set(rows.scalars())


def _changed(session: Session, *, since: datetime | None, after: tuple | None) -> list:
    """The next batch of applications changed at or after ``since``, in (updated_at, id) order."""
    updated, ident = col(Application.updated_at), col(Application.id)
    query = select(Application).order_by(updated, ident).limit(BATCH)
    if since is not None:
        query = query.where(updated >= since)
    if after is not None:
        moment, last_id = after
        query = query.where((updated > moment) | ((updated == moment) & (ident > last_id)))
    return list(session.execute(query).scalars())


def _apply(session: Session, applications: list[Application]) -> None:
    revised = _revised_ids(session, [a.id for a in applications])
    for application in applications:
        fact = build_fact(application, revised=application.id in revised)
        existing = session.get(ApplicationFact, application.id)
        if fact is None:
            if existing is not None:
                session.delete(existing)
        elif existing is None:
            session.add(fact)
        else:
            for name, value in fact.model_dump().items():
                setattr(existing, name, value)
    session.flush()


def refresh_facts(session: Session, *, now: datetime | None = None) -> int:
    """Upsert facts for applications changed since the watermark; returns how many were read."""
    now = now or datetime.now(UTC)
    state = session.get(StatsState, STATE_KEY)
    if state is None:
        state = StatsState(name=STATE_KEY)
        session.add(state)
    since = _aware(state.watermark) - OVERLAP if state.watermark else None
    seen, after = 0, None
    while batch := _changed(session, since=since, after=after):
        _apply(session, batch)
        seen += len(batch)
        after = (batch[-1].updated_at, batch[-1].id)
        state.watermark = _aware(batch[-1].updated_at)
    state.refreshed_at = now
    session.flush()
    return seen


def is_stale(session: Session, *, now: datetime, interval: timedelta = REFRESH_INTERVAL) -> bool:
    """True when the facts were never refreshed or not within ``interval``."""
    state = session.get(StatsState, STATE_KEY)
    return (
        state is None
        or state.refreshed_at is None
        or (now - _aware(state.refreshed_at) >= interval)
    )


def maybe_refresh(engine: Engine, *, now: datetime | None = None) -> None:
    """Refresh in a short transaction of its own when stale; on any database error, serve stale."""
    now = now or datetime.now(UTC)
    try:
        with transaction(engine, write=False) as session:
            if not is_stale(session, now=now):
                return
        with transaction(engine) as session:
            key = col(StatsState.name) == STATE_KEY
            locked = session.execute(
                select(StatsState).where(key).with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if locked is None and session.execute(select(col(StatsState.name)).where(key)).first():
                return  # another process is refreshing right now
            if locked is not None and not is_stale(session, now=now):
                return
            refresh_facts(session, now=now)
    except (DBAPIError, IntegrityError):
        log.exception("stats: facts refresh failed; serving the previous figures")


def today_at_office(now: datetime | None = None) -> date:
    """The office day now."""
    return office_date(now or datetime.now(UTC))
