"""A statistics fixture with hand-computed answers, written straight into the tables."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.db import transaction
from app.models import Event, Service
from tests.factories import application_rows

# Friday 13 Feb 2026, 10:00 in Jakarta. Mon 16 and Tue 17 Feb are holidays (Imlek), so the
# working days after it are 18, 19, 20, 23, 24, 25, 26, 27 Feb = 1 .. 8.
SUBMITTED = datetime(2026, 2, 13, 3, 0, tzinfo=UTC)
DUE = date(2026, 2, 20)  # SIMPLE: 3 working days


def _at(day: int) -> datetime:
    return datetime(2026, 2, day, 3, 0, tzinfo=UTC)


# (state, decision day in Feb, paused working days, due day in Feb, revision requested)
DECIDED = (
    [("approved", 18, 0, 20, False)] * 4  # 1 working day each, within SLA
    + [("approved", 20, 0, 20, False)] * 3  # 3, within SLA
    + [("approved", 24, 0, 20, False)] * 2  # 5, late
    + [("approved", 27, 5, 27, True)]  # 8 - 5 paused = 3, within the extended SLA
    + [("rejected", 19, 0, 20, False)] * 2  # 2, within SLA
)
# Hand-computed: times [1,1,1,1,3,3,3,5,5,3,2,2] -> median 2.5, p90 (nearest rank 11 of 12) 5;
# within SLA 10 of 12 = 83.3 %; revision requested 1 of 12 = 8.3 %.


def load(runtime, *, applicant_id: uuid.UUID) -> None:
    """Sixteen SIMPLE applications received in February 2026: 12 decided, 1 withdrawn, 3 open."""
    with transaction(runtime.engine) as session:
        service = session.execute(
            select(Service).where(Service.code == "SIMPLE", Service.is_current)
        ).scalar_one()
        rows = [(s, d, p, due, r) for s, d, p, due, r in DECIDED]
        rows += [("withdrawn", 18, 0, 20, False)] + [("in_review", None, 0, 20, False)] * 3
        for n, (state, day, paused, due, revised) in enumerate(rows):
            case, application = application_rows(
                service,
                applicant_id=applicant_id,
                reference=f"STAT-{n:04d}",
                state=state,
                submitted_at=SUBMITTED,
                decided_at=_at(day) if day else None,
                due_at=date(2026, 2, due),
                paused_working_days=paused,
            )
            session.add(case)
            session.flush()
            session.add(application)
            if revised:
                session.add(_revision_event(case.id))


def _revision_event(application_id: uuid.UUID) -> Event:
    return Event(
        case_id=application_id,
        seq=1,
        action="application.revision_requested",
        from_state="in_review",
        to_state="revision_requested",
        actor_type="system",
        created_at=SUBMITTED + timedelta(days=1),
        prev_hash="0" * 64,
        hash="1" * 64,
    )
