"""The deadline sweep: every minute (``app.jobs``) and on demand (``loket sla sweep``), Loket
takes the system actions whose time has come (``app.cases.deadlines``).

Due cases come through the ``ix_cases_deadline`` index (``deadline_at <= now``), a batch at a
time (``LOKET_SLA_SWEEP_BATCH``, 100), claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (on
SQLite the write transaction keeps other writers out) in one transaction with their actions,
events, outbox messages and next ``deadline_at``. Each case's action runs in a savepoint, so one
that fails is undone alone and tried again later while the rest of the batch commits. What is
the same for every case of a batch is asked once: the kinds' own rows of all its cases in one
query (``CaseKind.preload``), webhook subscriptions and a department's officers once per
department (``app.db.cache_per_batch``); catalogue versions are cached per process anyway.
The batch's events and outbox messages are written at its end, one multi-row INSERT per table
(``app.db.insert_later``; a savepoint that rolls back drops its own), so an action costs three
round trips (savepoint, guarded UPDATE, release) instead of five.

So several workers sweep at once without waiting on each other or doing a case twice, and a
crash loses nothing and repeats nothing: a committed batch moved its cases' deadlines on, one
that did not commit is still due, whole. The clock is a parameter, so tests and operators move
time instead of waiting.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.cases import deadlines, kinds, repository
from app.cases.actions import take_system_action
from app.db import (
    Engine,
    Session,
    cache_per_batch,
    savepoint,
    transaction,
    write_batch_inserts,
)
from app.errors import StaleVersion
from app.models import Case

log = logging.getLogger("loket.sla")
# A case whose action failed (a certificate that would not render) is tried again this much
# later, rather than at once in the same sweep.
RETRY_AFTER = timedelta(minutes=10)
# Cases per transaction (``LOKET_SLA_SWEEP_BATCH``).
DEFAULT_BATCH = 100


@dataclass(frozen=True)
class SweepItem:
    case_id: uuid.UUID
    reference: str
    action: str | None  # the system action taken, None where only the deadline was recomputed
    outcome: str  # "done", "updated" (nothing due after all), "failed" (retried later)


@dataclass
class SweepReport:
    now: datetime
    items: list[SweepItem] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for item in self.items if item.action == action and item.outcome == "done")

    @property
    def failed(self) -> int:
        return sum(1 for item in self.items if item.outcome == "failed")


def sweep(
    engine: Engine,
    *,
    now: datetime,
    env: Callable[[], object] | None = None,
    limit: int | None = None,
    batch: int = DEFAULT_BATCH,
) -> SweepReport:
    """Take every system action due at ``now`` (at most ``limit`` cases), ``batch`` cases per
    transaction; ``env`` lends the effects what they need (``lambda: runtime.certificates``),
    called only when one needs it."""
    report = SweepReport(now=now)
    while limit is None or len(report.items) < limit:
        size = batch if limit is None else min(batch, limit - len(report.items))
        with transaction(engine) as session:
            cache_per_batch(session)
            cases = repository.claim_due_cases(session, now=now, batch=size)
            _preload(session, cases)
            items = [_one(session, case, now=now, env=env) for case in cases]
            write_batch_inserts(session)
        # Reported once committed: a batch that did not commit did nothing.
        report.items.extend(item for item in items if item is not None)
        if len(cases) < size:
            break
    return report


def _preload(session: Session, cases: list[Case]) -> None:
    by_kind: dict[str, list[Case]] = {}
    for case in cases:
        by_kind.setdefault(case.kind, []).append(case)
    for name, of_kind in by_kind.items():
        kinds.kind_named(name).preload(session, of_kind)


def _one(
    session: Session, case: Case, *, now: datetime, env: Callable[[], object] | None
) -> SweepItem | None:
    """One case's action in a savepoint of the batch: if it fails, only it is undone (and
    tried again later); the others of the batch still commit."""
    try:
        with savepoint(session):
            return _handle(session, case, now=now, env=env)
    except StaleVersion:
        # Another writer moved the case (we hold its row lock, so hardly ever): its own action
        # moved the deadline on, or the next sweep sees it again.
        repository.postpone_deadline(session, case_id=case.id, until=now + RETRY_AFTER, now=now)
        return None
    except Exception:
        # A database that failed fails this statement too, and the batch with it: the job
        # tries again at its next turn.
        log.exception("deadline action on case %s failed", case.reference)
        repository.postpone_deadline(session, case_id=case.id, until=now + RETRY_AFTER, now=now)
        return SweepItem(case.id, case.reference, None, "failed")


def _handle(session, case: Case, *, now: datetime, env: Callable[[], object] | None) -> SweepItem:
    kind = kinds.kind_named(case.kind)
    workflow = kinds.workflow_of(case)
    if not deadlines.swept_in(workflow, case.state):
        repository.set_deadline(session, case_id=case.id, deadline_at=None)
        return SweepItem(case.id, case.reference, None, "updated")
    state = workflow.state(case.state)
    view = deadlines.ClockView.of(case)
    sla_days = kind.sla_days(session, case)
    rules = kind.deadline_rules(session, case)
    action = deadlines.due_action(view, state, now=now, sla_days=sla_days, rules=rules)
    if action is None:
        # Nothing due after all (a deadline stored by an older version, say): store the real one.
        upcoming = deadlines.next_deadline(view, state, sla_days=sla_days, rules=rules)
        repository.set_deadline(session, case_id=case.id, deadline_at=_later(upcoming, now))
        return SweepItem(case.id, case.reference, None, "updated")
    take_system_action(session, case=case, action=action, now=now, env=env)
    if case.deadline_at is not None and case.deadline_at <= now:
        # Never claim the same case twice in one sweep, whatever the arithmetic said.
        repository.set_deadline(session, case_id=case.id, deadline_at=now + RETRY_AFTER)
    return SweepItem(case.id, case.reference, action, "done")


def _later(upcoming: datetime | None, now: datetime) -> datetime | None:
    return upcoming if upcoming is None or upcoming > now else now + RETRY_AFTER
