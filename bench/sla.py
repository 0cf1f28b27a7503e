#!/usr/bin/env python
"""The deadline sweep over many cases, few of them due (issue 14's performance goal).

    .venv/bin/python bench/sla.py [--cases 1000000] [--due 10000] [--server URL]

1. Recreates the database ``loket_bench_sla`` on the local PostgreSQL and seeds ``--cases``
   realistic applications with bench/seed.py (COPY; the app's migrations, bench/catalogue.yaml).
2. Gives every open file whose clock runs a next deadline in the future (what the app stores
   on every action), then makes ``--due`` of them overdue by three weeks (state in review,
   ``deadline_at`` a minute ago), and subscribes one webhook to every event, so each action
   also writes an outbox message. ANALYZE.
3. Prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the sweep's claim (``app.cases.repository.
   claim_due_case``) and checks that it reads ``ix_cases_deadline``, not the table.
4. Runs ``app.cases.sweep.sweep`` once, in this process (one worker), and prints cases/s with
   the goal (>= 200 cases/s including events and outbox messages) as PASS/MISS, and checks
   that every due case was escalated exactly once.

PostgreSQL and this process share the machine's two cores with whatever else runs: the rate
moves with the machine's load (printed beside it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
if str(BENCH.parent) not in sys.path:
    sys.path.insert(1, str(BENCH.parent))

import benchlib  # noqa: E402
import psycopg  # noqa: E402
from benchlib import log  # noqa: E402

DB_NAME = "loket_bench_sla"
GOAL_PER_SECOND = 200
RUNNING = ("submitted", "in_review", "in_verification", "verified")


def _seed(url: str, count: int) -> None:
    argv = [sys.executable, str(BENCH / "seed.py"), "--database-url", url, "--count", str(count)]
    argv += ["--seed", "20261202"]
    log(f"seeding: {' '.join(argv[1:])}")
    subprocess.run(argv, check=True, timeout=3600)


def _prepare(url: str, due: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE cases SET deadline_at = now() + (random() * interval '20 days')"
            " WHERE state = ANY(%s) AND deadline_at IS NULL",
            (list(RUNNING),),
        )
        # Due ones: files under review three weeks past their due day, not yet escalated.
        conn.execute(
            """
            UPDATE cases SET
                state = CASE workflow WHEN 'two_level' THEN 'verified' ELSE 'in_review' END,
                submitted_at = now() - interval '60 days',
                due_at = current_date - 21,
                decided_at = NULL, paused_at = NULL, sla_warned_at = NULL, escalated_at = NULL,
                deadline_at = now() - interval '1 minute'
            WHERE id IN (SELECT id FROM cases ORDER BY id LIMIT %s)
            """,
            (due,),
        )
        client = conn.execute(
            "INSERT INTO oauth_clients (id, client_id, name, secret_hash, scopes, is_active,"
            " created_at) VALUES (gen_random_uuid(), 'bench-sla', 'Bench', 'x',"
            " 'applications:read', true, now()) RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO webhook_subscriptions (id, client_id, url, event_types, secret,"
            " is_active, created_at) VALUES (gen_random_uuid(), %s,"
            " 'http://127.0.0.1:9/hook', '[\"*\"]', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',"
            " true, now())",
            (client,),
        )
        conn.execute("ANALYZE cases")


def _explain(url: str, now: datetime) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.dialects import postgresql

    statement = _claim_statement(now)
    compiled = statement.compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}").all()
        conn.rollback()
    engine.dispose()
    return "\n".join(row[0] for row in rows)


def _claim_statement(now: datetime):
    # The same query as app.cases.repository.claim_due_case, to EXPLAIN it.
    from sqlalchemy import select

    from app.models import Case

    table = Case.__table__  # type: ignore[attr-defined]
    return (
        select(Case)
        .where(table.c.deadline_at.is_not(None), table.c.deadline_at <= now)
        .order_by(table.c.deadline_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def _sweep(url: str, now: datetime) -> tuple[int, float, float]:
    from app.cases.sweep import sweep
    from app.config import Settings
    from app.runtime import build_runtime

    runtime = build_runtime(Settings(database_url=url, _env_file=None))
    try:
        before = os.times()
        started = time.perf_counter()
        report = sweep(runtime.engine, now=now, env=lambda: runtime.certificates)
        elapsed = time.perf_counter() - started
        cpu = (os.times().user - before.user) + (os.times().system - before.system)
    finally:
        runtime.engine.dispose()
    return sum(1 for item in report.items if item.outcome == "done"), elapsed, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    url = benchlib.recreate_database(args.server, DB_NAME)
    try:
        _seed(url, args.cases)
        _prepare(url, args.due)
        now = datetime.now(UTC)
        plan = _explain(url, now)
        print(plan)
        uses_index = "ix_cases_deadline" in plan and "Seq Scan" not in plan
        log(f"claim reads the index ix_cases_deadline: {'PASS' if uses_index else 'MISS'}")
        load = os.getloadavg()[0]
        done, elapsed, cpu = _sweep(url, now)
        rate = done / elapsed if elapsed else 0.0
        with psycopg.connect(url) as conn:
            escalated, distinct, hooks = conn.execute(
                "SELECT count(*), count(DISTINCT case_id),"
                " (SELECT count(*) FROM outbox_messages WHERE event_type = 'application.escalated')"
                " FROM events WHERE action = 'application.escalated'"
            ).fetchone()
        log(
            f"swept {done} of {args.due} due among {args.cases} cases in {elapsed:.1f} s: "
            f"{rate:.0f} cases/s (sweep process CPU {cpu:.1f} s, load average {load:.2f}) "
            f"[goal >= {GOAL_PER_SECOND}/s: {'PASS' if rate >= GOAL_PER_SECOND else 'MISS'}]"
        )
        once = escalated == distinct == args.due and hooks == args.due
        log(
            f"escalated events {escalated}, cases {distinct}, outbox messages {hooks}: "
            f"{'each once' if once else 'NOT each once'}"
        )
        if not (uses_index and once):
            raise SystemExit(1)
    finally:
        if not args.keep:
            benchlib.drop_database(args.server, DB_NAME)


if __name__ == "__main__":
    main()
