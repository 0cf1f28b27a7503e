"""The deadline sweep: every minute (``app.jobs``) and on demand (``loket sla sweep``), Loket
takes the system actions whose time has come (``app.cases.deadlines``).

Due cases come through the ``ix_cases_deadline`` index (``deadline_at <= now``), one at a time,
each claimed with ``FOR UPDATE SKIP LOCKED`` in its own transaction together with its action,
its event, its outbox messages and its next ``deadline_at``. So several workers sweep at once
without waiting on each other or doing a case twice, and a crash between two cases loses
nothing and repeats nothing: what committed moved its case's deadline on, what did not is
still due. The clock is a parameter, so tests and operators move time instead of waiting.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.cases import deadlines, kinds, repository
from app.cases.actions import take_system_action
from app.db import Engine, transaction
from app.errors import StaleVersion
from app.models import Case

log = logging.getLogger("loket.sla")
# A case whose action failed (a certificate that would not render) is tried again this much
# later, rather than at once in the same sweep.
RETRY_AFTER = timedelta(minutes=10)


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
) -> SweepReport:
    """Take every system action due at ``now`` (at most ``limit`` cases); ``env`` lends the
    effects what they need (``lambda: runtime.certificates``), called only when one needs it."""
    report = SweepReport(now=now)
    while limit is None or len(report.items) < limit:
        claimed: tuple[uuid.UUID, str] | None = None
        try:
            with transaction(engine) as session:
                case = repository.claim_due_case(session, now=now)
                if case is None:
                    break
                claimed = case.id, case.reference
                item = _handle(session, case, now=now, env=env)
        except StaleVersion:
            # An officer acted on the case between our read and our write: its own action
            # already moved the deadline on; the next claim sees the new value.
            continue
        except Exception:
            if claimed is None:  # the database itself failed: the job tries again next turn
                raise
            log.exception("deadline action on case %s failed", claimed[1])
            _postpone(engine, case_id=claimed[0], until=now + RETRY_AFTER, now=now)
            item = SweepItem(claimed[0], claimed[1], None, "failed")
        report.items.append(item)
    return report


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


def _postpone(engine: Engine, *, case_id: uuid.UUID, until: datetime, now: datetime) -> None:
    with transaction(engine) as session:
        repository.postpone_deadline(session, case_id=case_id, until=until, now=now)
