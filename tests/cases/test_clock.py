"""The SLA clock: due date in working days, paused (not restarted) during a revision."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from app.cases.clock import due_date, resumed_due_date
from app.models import Case
from app.office import office_date
from app.workflow.calendar import default_calendar


def test_due_date_counts_working_days_from_the_day_after_submission():
    # Friday 14 August 2026, 10:00 in Jakarta; Monday 17 August is Independence Day.
    friday = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)
    assert due_date(submitted=friday, sla_days=1) == date(2026, 8, 18)
    assert due_date(submitted=friday, sla_days=3) == date(2026, 8, 20)


def test_office_day_is_jakarta_time():
    # 20:00 UTC on Monday is already Tuesday 03:00 in Jakarta.
    assert office_date(datetime(2026, 9, 7, 20, 0, tzinfo=UTC)) == date(2026, 9, 8)


def test_pause_moves_the_due_date_by_the_working_days_the_citizen_held_the_file():
    paused_at = datetime(2026, 9, 7, 3, 0, tzinfo=UTC)  # Monday
    resumed_at = datetime(2026, 9, 14, 3, 0, tzinfo=UTC)  # next Monday: 5 working days
    due, paused = resumed_due_date(due=date(2026, 9, 9), paused_at=paused_at, resumed_at=resumed_at)
    assert paused == 5
    assert due == default_calendar().add_working_days(date(2026, 9, 9), 5)


def test_resubmission_through_the_api_extends_the_due_date(world, db):
    officer, citizen = world.user("officer"), world.user("citizen")
    held = world.in_state("revision_requested", citizen=citizen, officer=officer)
    due_before = date.fromisoformat(held["sla"]["due_at"])
    calendar = default_calendar()
    with db() as session:
        row = session.get(Case, uuid.UUID(held["id"]))
        # Pretend the revision was requested 3 working days ago.
        start = office_date(datetime.now(UTC))
        days_back = 0
        while calendar.working_days_between(start - timedelta(days=days_back), start) < 3:
            days_back += 1
        row.paused_at = datetime.now(UTC) - timedelta(days=days_back)
        session.add(row)
    resumed = world.act(citizen, held, "resubmit").json()
    assert resumed["sla"]["paused_working_days"] == 3
    assert date.fromisoformat(resumed["sla"]["due_at"]) == calendar.add_working_days(due_before, 3)
