"""The maintained counts give exactly what a scan of every fact gives, after any changes, and a
large refresh commits in batches and resumes."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.db import transaction
from app.models import ApplicationFact, Case, Event, Service, StatsState
from app.stats import facts as facts_module
from app.stats import repository as stats_repository
from app.stats import service
from app.stats.facts import refresh_facts
from app.stats.figures import BACKLOG_BUCKETS, Period, median_of, percentile, percentile_of
from tests.factories import application_rows

TODAY = date(2026, 11, 28)
# States both workflows have (a case only ever holds a state of its own workflow).
STATES = ("approved", "rejected", "revoked", "withdrawn", "submitted")
STATES += ("revision_requested", "draft")


def _scanned(facts: list, period: Period, today: date) -> dict:
    """The figures the way they were first computed: from every fact row, in Python."""
    decided = [
        f for f in facts if f.outcome in ("approved", "rejected") and period.holds(f.decided_on)
    ]
    times = [f.working_days for f in decided]
    backlog = {label: 0 for label, _, _ in BACKLOG_BUCKETS}
    for f in facts:
        age = (today - f.submitted_on).days
        for label, low, high in BACKLOG_BUCKETS:
            if f.outcome is None and age >= low and (high is None or age <= high):
                backlog[label] += 1
                break
    share = (lambda n: round(100 * n / len(decided), 1)) if decided else (lambda n: None)
    return {
        "received": sum(1 for f in facts if period.holds(f.submitted_on)),
        "approved": sum(1 for f in decided if f.outcome == "approved"),
        "rejected": sum(1 for f in decided if f.outcome == "rejected"),
        "withdrawn": sum(
            1 for f in facts if f.outcome == "withdrawn" and period.holds(f.decided_on)
        ),
        "decided": len(decided),
        "open_now": sum(1 for f in facts if f.outcome is None),
        "median_working_days": float(statistics.median(times)) if times else None,
        "p90_working_days": percentile(times, 0.9) if times else None,
        "pct_within_sla": share(sum(1 for f in decided if f.within_sla)),
        "revision_rate": share(sum(1 for f in decided if f.revision_requested)),
        "backlog": backlog,
    }


def _random_application(rng: random.Random, services: list, n: int, applicant_id) -> list:
    service_row = rng.choice(services)
    submitted = datetime(2025, 9, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(24 * 450))
    state = rng.choice(STATES)
    decided = submitted + timedelta(hours=rng.randrange(1, 24 * 40))
    return application_rows(
        service_row,
        applicant_id=applicant_id,
        reference=f"CNT-{n:05d}",
        state=state,
        submitted_at=None if state == "draft" else submitted,
        decided_at=decided if state in ("approved", "rejected", "revoked", "withdrawn") else None,
        due_at=(submitted + timedelta(days=rng.randrange(3, 20))).date(),
        paused_working_days=rng.choice((0, 0, 0, 1, 2)),
    )


def _load(world, rng: random.Random, count: int) -> list:
    applicant = world.user()
    with transaction(world.runtime.engine) as session:
        services = list(session.execute(select(Service).where(Service.is_current)).scalars())
        rows = [_random_application(rng, services, n, applicant.id) for n in range(count)]
        session.add_all([case for case, _ in rows])
        session.flush()
        session.add_all([application for _, application in rows])
    return [case.id for case, _ in rows]


def _change(world, rng: random.Random, ids: list, moment: datetime, seq: int) -> None:
    """Decide, withdraw, reopen or pause some files, as later transitions would."""
    with transaction(world.runtime.engine) as session:
        for application_id in rng.sample(ids, len(ids) // 3):
            state = rng.choice(STATES[:-1])
            values = {"state": state, "updated_at": moment, "paused_working_days": rng.randrange(3)}
            if state in ("approved", "rejected", "revoked", "withdrawn"):
                values["decided_at"] = moment - timedelta(days=rng.randrange(200))
            session.execute(update(Case).where(Case.id == application_id).values(values))
            if state == "revision_requested":
                session.add(_revision(application_id, seq))


def _revision(application_id, seq: int) -> Event:
    return Event(
        case_id=application_id,
        seq=seq,
        action="application.revision_requested",
        from_state="in_review",
        to_state="revision_requested",
        actor_type="system",
        prev_hash="0" * 64,
        hash="1" * 64,
    )


def _periods(rng: random.Random) -> list[Period]:
    fixed = [
        Period(date(2025, 9, 1), date(2026, 11, 30)),
        Period(date(2026, 2, 1), date(2026, 2, 28)),
    ]
    fixed += [
        Period(date(2026, 1, 31), date(2026, 3, 1)),
        Period(date(2026, 3, 5), date(2026, 3, 5)),
    ]
    for _ in range(12):
        start = date(2025, 8, 1) + timedelta(days=rng.randrange(480))
        fixed.append(Period(start, start + timedelta(days=rng.randrange(200))))
    return fixed


def _assert_same_as_a_scan(world, rng: random.Random) -> None:
    with transaction(world.runtime.engine) as session:
        stored = list(session.execute(select(ApplicationFact)).scalars())
        for period in _periods(rng):
            for by in ("service_code", "department_id"):
                figures = service.raw_figures(session, period=period, today=TODAY, by=by)
                for key in {getattr(f, by) for f in stored} | set(figures):
                    group = [f for f in stored if getattr(f, by) == key]
                    assert figures[key] == _scanned(group, period, TODAY), (period, by, key)


def test_counts_match_a_scan_of_every_fact_after_changes(world):
    rng = random.Random(6)
    ids = _load(world, rng, 400)
    with transaction(world.runtime.engine) as session:
        assert refresh_facts(session) == 400
    _assert_same_as_a_scan(world, rng)
    for round_ in range(2):
        _change(
            world, rng, ids, datetime.now(UTC) + timedelta(minutes=10 * (round_ + 1)), round_ + 1
        )
        with transaction(world.runtime.engine) as session:
            refresh_facts(session)
        _assert_same_as_a_scan(world, rng)


def test_monthly_rows_match_a_scan(world):
    rng = random.Random(7)
    _load(world, rng, 300)
    months = service.months_between(date(2025, 8, 1), date(2026, 11, 30))
    with transaction(world.runtime.engine) as session:
        refresh_facts(session)
        stored = list(session.execute(select(ApplicationFact)).scalars())
        published = service.monthly_rows(session, service_code="SIMPLE", months=months)
    simple = [f for f in stored if f.service_code == "SIMPLE"]
    for month, row in zip(months, published, strict=True):
        expected = _scanned(simple, month, TODAY)
        assert row["month"] == month.start.strftime("%Y-%m")
        assert row["received"] in (expected["received"], None)
        assert row["median_working_days"] in (expected["median_working_days"], None)
        if row["decided"] is not None and row["decided"] >= 10:
            assert row["p90_working_days"] == expected["p90_working_days"]
            assert row["pct_within_sla"] == expected["pct_within_sla"]


def test_a_large_refresh_commits_in_batches_and_resumes(world, monkeypatch):
    rng = random.Random(8)
    _load(world, rng, 120)
    monkeypatch.setattr(facts_module, "BATCH", 25)
    with transaction(world.runtime.engine) as session:
        # A zero budget stops after the first committed batch, as a request's refresh would.
        assert refresh_facts(session, budget=timedelta(0)) == 25
    with transaction(world.runtime.engine) as session:
        state = session.get(StatsState, facts_module.STATE_KEY)
        assert state is not None and state.watermark is not None and state.refreshed_at is None
        assert len(session.execute(select(ApplicationFact.application_id)).all()) > 0
    with transaction(world.runtime.engine) as session:
        # Resumes from the watermark (less the overlap), not from the beginning.
        assert 0 < refresh_facts(session) <= 120
    _assert_same_as_a_scan(world, rng)


@pytest.mark.parametrize("seed", range(30))
def test_median_and_percentile_from_counts(seed):
    rng = random.Random(seed)
    values = [rng.randrange(12) for _ in range(rng.randrange(1, 40))]
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    counts[99] = 0  # a value whose count went back to zero
    assert median_of(counts) == float(statistics.median(values))
    assert percentile_of(counts, 0.9) == percentile(values, 0.9)
    assert median_of({}) is None and percentile_of({3: 0}, 0.9) is None


def test_a_refresh_with_nothing_changed_writes_nothing(world, monkeypatch):
    _load(world, random.Random(9), 50)
    with transaction(world.runtime.engine) as session:
        refresh_facts(session)
    written: list = []
    for name in ("store_facts", "delete_facts", "move_counts", "move_working_days"):
        monkeypatch.setattr(stats_repository, name, lambda *a, **k: written.append(a))
    with transaction(world.runtime.engine) as session:
        # The overlap window reads the same files again; their facts compare equal.
        assert refresh_facts(session) == 50
    assert written == []
