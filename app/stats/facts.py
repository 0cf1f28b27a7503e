"""Keep ``application_facts`` and the counts built from them up to date from the applications
changed since the last refresh (cases of kind "application"; what a state counts as is its
workflow's word: ``State.outcome``, ``State.clock``)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import DBAPIError, IntegrityError

from app.applications.kind import APPLICATION
from app.db import Engine, Session, commit_progress, transaction
from app.office import office_date
from app.stats import counts, repository
from app.workflow.calendar import WorkingCalendar, default_calendar
from app.workflow.definitions import get_workflow

log = logging.getLogger("loket.stats")

STATE_KEY = "facts"
# Re-read a little before the watermark: a transaction may commit after a later one did.
OVERLAP = timedelta(minutes=5)
REFRESH_INTERVAL = timedelta(seconds=60)
BATCH = 5000
# A refresh triggered by a request stops after this long (progress is committed, the next
# request goes on), so a first backfill never holds a request for minutes.
REQUEST_BUDGET = timedelta(seconds=2)
KIND = APPLICATION.name  # the case type these statistics count


@dataclass(frozen=True)
class Fact:
    """What statistics need of one submitted application (a row of ``application_facts``)."""

    service_code: str
    department_id: int
    submitted_on: date
    decided_on: date | None
    outcome: str | None
    working_days: int | None
    within_sla: bool | None
    revision_requested: bool
    due_on: date | None


FACT_FIELDS = tuple(f.name for f in fields(Fact))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def build_fact(
    application, *, revised: bool, calendar: WorkingCalendar | None = None
) -> Fact | None:
    """The fact for one application (an ``Application`` or a row with its columns), or None if
    it was never submitted or is not counted."""
    if application.submitted_at is None:
        return None
    state = get_workflow(application.workflow).state(application.state)
    outcome = state.outcome
    if outcome is None and state.clock == "stopped":
        return None
    submitted_on = office_date(_aware(application.submitted_at))
    decided_on = working_days = within_sla = None
    if outcome is not None and application.decided_at is not None:
        decided_on = office_date(_aware(application.decided_at))
    if outcome in ("approved", "rejected") and decided_on is not None:
        calendar = calendar or default_calendar()
        held = calendar.working_days_between(submitted_on, decided_on)
        working_days = max(0, held - application.paused_working_days)
        within_sla = _on_time(application, decided_on, calendar)
    return Fact(
        service_code=application.subject_code,
        department_id=application.department_id,
        submitted_on=submitted_on,
        decided_on=decided_on,
        outcome=outcome,
        working_days=working_days,
        within_sla=within_sla,
        revision_requested=revised,
        due_on=application.due_at,
    )


def _on_time(application, decided_on: date, calendar: WorkingCalendar) -> bool:
    """Decided by the due day the service's SLA gave, not the one an extension moved: an
    extended case decided in its extra days is counted apart (``extensions``), never on time."""
    due, extended = application.due_at, getattr(application, "extended_days", 0) or 0
    if due is None:
        return True
    return decided_on <= due and calendar.working_days_between(decided_on, due) >= extended


def _changed(session: Session, *, since: datetime | None, after: tuple | None) -> list:
    """The next batch of applications changed at or after ``since``, with their stored facts."""
    return repository.changed_cases(
        session,
        kind=KIND,
        fact_fields=FACT_FIELDS,
        paused_states=_PAUSING,
        since=since,
        after=after,
        limit=BATCH,
    )


# "A revision was requested": the case once entered a state in which the resident holds it
# after submitting (the clock pauses).
_PAUSING = sorted(
    {
        state.name
        for workflow in map(get_workflow, APPLICATION.workflows)
        for state in workflow.states
        if state.clock == "paused"
    }
)


def _stored(row) -> Fact | None:
    if row.stored is None:
        return None
    return Fact(*(row._mapping[f"stored_{name}"] for name in FACT_FIELDS))


def _columns(fact: Fact) -> dict:
    return {name: getattr(fact, name) for name in FACT_FIELDS}


def _apply(session: Session, rows: list, calendar: WorkingCalendar) -> None:
    """Write the facts that changed and move the counts by the difference."""
    tally: Counter = Counter()
    times: Counter = Counter()
    upserts, deletes = [], []
    for row in rows:
        old, new = _stored(row), build_fact(row, revised=row.revised, calendar=calendar)
        if old == new:
            continue
        if old is not None:
            counts.add(tally, times, old, sign=-1)
        if new is None:
            deletes.append(row.id)
        else:
            counts.add(tally, times, new, sign=1)
            upserts.append({"application_id": row.id} | _columns(new))
    if deletes:
        repository.delete_facts(session, deletes)
    if upserts:
        repository.store_facts(session, upserts, fields=FACT_FIELDS)
    counts.write(session, tally, times)


def _lock_state(session: Session) -> datetime | None:
    """Take the refresh lock (the state row, created if missing) and return the watermark.

    Counts move by differences from the stored facts, so two refreshes must never interleave:
    the lock is held from reading the stored facts until their counts are written."""
    watermark = repository.lock_refresh_state(session, STATE_KEY)
    return _aware(watermark) if watermark else None


def _save_state(session: Session, **values) -> None:
    repository.save_refresh_state(session, STATE_KEY, **values)


def refresh_facts(
    session: Session, *, now: datetime | None = None, budget: timedelta | None = None
) -> int:
    """Bring facts and counts up to date with the applications changed since the watermark;
    returns how many applications were read.

    A refresh is not request work: it commits after every full batch, so a first backfill of
    millions of applications makes progress and resumes where it stopped. With ``budget`` it
    stops after about that long, leaving ``refreshed_at`` as it was (so it is still stale).
    """
    now = now or datetime.now(UTC)
    deadline = time.monotonic() + budget.total_seconds() if budget is not None else None
    calendar = default_calendar()
    watermark = _lock_state(session)
    since = watermark - OVERLAP if watermark else None
    seen, after = 0, None
    while batch := _changed(session, since=since, after=after):
        _apply(session, batch, calendar)
        seen += len(batch)
        after = (batch[-1].updated_at, batch[-1].id)
        last = _aware(batch[-1].updated_at)
        watermark = max(watermark, last) if watermark else last
        _save_state(session, watermark=watermark)
        if len(batch) < BATCH:
            break
        commit_progress(session)
        if deadline is not None and time.monotonic() > deadline:
            log.info("stats: refresh paused after %d applications (request budget)", seen)
            return seen
        _lock_state(session)
    _save_state(session, refreshed_at=now)
    return seen


def is_stale(session: Session, *, now: datetime, interval: timedelta = REFRESH_INTERVAL) -> bool:
    """True when the facts were never refreshed or not within ``interval``."""
    state = repository.refresh_state(session, STATE_KEY)
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
            locked, exists = repository.try_lock_refresh_state(session, STATE_KEY)
            if locked is None and exists:
                return  # another process is refreshing right now
            if locked is not None and not is_stale(session, now=now):
                return
            refresh_facts(session, now=now, budget=REQUEST_BUDGET)
    except (DBAPIError, IntegrityError):
        log.exception("stats: facts refresh failed; serving the previous figures")


def today_at_office(now: datetime | None = None) -> date:
    """The office day now (or at ``now``)."""
    return office_date(now or datetime.now(UTC))
