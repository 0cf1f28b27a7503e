#!/usr/bin/env python
"""The deadline sweep: the old per-case path against the batched one, in the same run.

    .venv/bin/python bench/deadlines.py [--cases 100000] [--sweep 2000] [--batch 100]
        [--databases sqlite,postgresql] [--server postgresql://postgres@127.0.0.1:5432]

For each database (a fresh SQLite file in a temporary directory; the recreated PostgreSQL
database ``loket_bench_deadlines``):

1. Runs the app's migrations, loads bench/catalogue.yaml, creates a resident, an officer and a
   head of DPMPTSP and a machine client subscribed to every event (so every action writes an
   outbox message for its webhook, and, with the SMTP host set here, e-mails to the head).
2. Seeds ``--cases`` overdue applications of IUMK (single approval): under review, due three
   weeks ago, not yet escalated, ``deadline_at`` in the past, each with a valid first event.
3. On PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)`` of the sweep's claim of one batch
   (``app.cases.repository.due_cases_statement``), which must read ``ix_cases_deadline``.
4. Sweeps ``--sweep`` of them with the per-case path (``batch=1``: one transaction, one claim
   and every lookup per case, as the sweep did before), then ``--sweep`` others with the batched
   path (``--batch`` cases per transaction, a savepoint per action, lookups cached per batch,
   events and outbox messages written with one multi-row INSERT per table at the batch's end),
   and prints cases/s of each and their ratio; then checks that every swept case was escalated
   exactly once with one webhook message. Goal on PostgreSQL: >= 200 cases/s batched.

Both paths run in this process (one worker) with the database on the same 2-core machine;
the rates move with the machine's load (printed beside them).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
if str(BENCH.parent) not in sys.path:
    sys.path.insert(1, str(BENCH.parent))

import benchlib  # noqa: E402
from benchlib import log  # noqa: E402

DB_NAME = "loket_bench_deadlines"
GOAL_PER_SECOND = 200
SERVICE = "IUMK"
CHUNK = 5000


def _runtime(url: str, data_dir: Path):
    from app.catalogue.definitions import load_catalogue
    from app.catalogue.service import load_catalogue as store_catalogue
    from app.config import Settings
    from app.db import transaction
    from app.migrate import upgrade
    from app.runtime import build_runtime

    settings = Settings(database_url=url, data_dir=data_dir, smtp_host="127.0.0.1", _env_file=None)
    upgrade(settings)
    runtime = build_runtime(settings)
    with transaction(runtime.engine) as session:
        store_catalogue(session, catalogue=load_catalogue(BENCH / "catalogue.yaml"))
    return runtime


def _people(runtime) -> uuid.UUID:
    from app.accounts.service import create_user
    from app.db import transaction
    from app.models import OAuthClient, WebhookSubscription

    with transaction(runtime.engine) as session:
        make = dict(session=session, passwords=runtime.passwords, password="bench-not-a-login")
        citizen = create_user(**make, email="warga@bench.id", full_name="Warga", role="citizen")
        for email, roles in (
            ("petugas@bench.id", {"verifier", "approver"}),
            ("kadis@bench.id", {"head"}),
        ):
            create_user(
                **make,
                email=email,
                full_name=email,
                role="officer",
                department_code="DPMPTSP",
                officer_roles=frozenset(roles),
            )
        client = OAuthClient(
            client_id="bench-deadlines", name="Bench", secret_hash="x", scopes="applications:read"
        )
        session.add(client)
        session.flush()
        session.add(
            WebhookSubscription(
                client_id=client.id,
                url="http://127.0.0.1:9/hook",
                event_types=["*"],
                secret="whsec_bench",
            )
        )
        return citizen.id


def _seed(runtime, *, owner_id: uuid.UUID, count: int, now: datetime) -> None:
    from sqlalchemy import insert, select

    from app.cases.timeline import GENESIS, EventDraft, event_row
    from app.db import transaction
    from app.models import Application, Case, Event, Service

    with transaction(runtime.engine) as session:
        service = session.execute(
            select(Service).where(Service.code == SERVICE, Service.is_current)
        ).scalar_one()
        service_id, department_id = service.id, service.department_id
    submitted, due = now - timedelta(days=60), (now - timedelta(days=21)).date()
    draft = EventDraft("application.submitted", "user", str(owner_id), "draft", "in_review")
    for start in range(0, count, CHUNK):
        cases, apps, events = [], [], []
        for n in range(start, min(count, start + CHUNK)):
            case_id = uuid.uuid4()
            row = event_row(
                case_id=case_id, seq=1, prev_hash=GENESIS, draft=draft, created_at=submitted
            )
            cases.append(
                dict(
                    id=case_id,
                    kind="application",
                    reference=f"BENCH/{n:08d}",
                    subject_code=SERVICE,
                    workflow="single_approval",
                    department_id=department_id,
                    owner_id=owner_id,
                    state="in_review",
                    data={},
                    submitted_at=submitted,
                    due_at=due,
                    paused_working_days=0,
                    extended_days=0,
                    version=2,
                    deadline_at=now - timedelta(minutes=1, microseconds=count - n),
                    event_seq=1,
                    event_head=row["hash"],
                    created_at=submitted,
                    updated_at=submitted,
                )
            )
            apps.append(dict(id=case_id, service_id=service_id))
            events.append(row)
        with transaction(runtime.engine) as session:
            session.execute(insert(Case), cases)
            session.execute(insert(Application), apps)
            session.execute(insert(Event), events)
    log(f"seeded {count} overdue applications")


def _explain(runtime, now: datetime, batch: int) -> str:
    from sqlalchemy.dialects import postgresql

    from app.cases.repository import due_cases_statement

    compiled = due_cases_statement(now=now, batch=batch).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    with runtime.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE cases")
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}").all()
        conn.rollback()
    return "\n".join(row[0] for row in rows)


def _timed_sweep(runtime, *, now: datetime, count: int, batch: int) -> tuple[list, float, float]:
    from app.cases.sweep import sweep

    load = os.getloadavg()[0]
    before = os.times()
    started = time.perf_counter()
    report = sweep(
        runtime.engine, now=now, env=lambda: runtime.certificates, limit=count, batch=batch
    )
    elapsed = time.perf_counter() - started
    after = os.times()
    cpu = (after.user - before.user) + (after.system - before.system)
    done = [i.case_id for i in report.items if i.outcome == "done"]
    log(
        f"batch {batch}: {len(done)} cases in {elapsed:.1f} s, this process's CPU "
        f"{1000 * cpu / max(1, len(done)):.1f} ms per case (load average {load:.2f})"
    )
    return done, elapsed, load


def _check_once(runtime, swept: list[uuid.UUID]) -> bool:
    from sqlalchemy import func, select

    from app.db import transaction
    from app.models import Event, OutboxMessage

    with transaction(runtime.engine) as session:
        events, cases = session.execute(
            select(func.count(), func.count(func.distinct(Event.case_id))).where(
                Event.action == "application.escalated"
            )
        ).one()
        hooks = session.execute(
            select(func.count()).where(
                OutboxMessage.kind == "webhook", OutboxMessage.event_type == "application.escalated"
            )
        ).scalar_one()
    return events == cases == hooks == len(swept) == len(set(swept))


def run(name: str, url: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="loket-bench-deadlines-") as tmp:
        if url == "sqlite":
            url = f"sqlite:///{tmp}/bench.db"
        runtime = _runtime(url, Path(tmp))
        try:
            owner = _people(runtime)
            now = datetime.now(UTC)
            _seed(runtime, owner_id=owner, count=args.cases, now=now)
            uses_index = None
            if name == "postgresql":
                plan = _explain(runtime, now, args.batch)
                print(plan)
                uses_index = "ix_cases_deadline" in plan and "Seq Scan" not in plan
                log(f"claim reads ix_cases_deadline: {'PASS' if uses_index else 'MISS'}")
            old, old_s, old_load = _timed_sweep(runtime, now=now, count=args.sweep, batch=1)
            new, new_s, new_load = _timed_sweep(
                runtime, now=now, count=args.sweep, batch=args.batch
            )
            once = _check_once(runtime, old + new)
        finally:
            runtime.engine.dispose()
    old_rate, new_rate = len(old) / old_s, len(new) / new_s
    result = dict(
        database=name,
        cases=args.cases,
        per_case=old_rate,
        batched=new_rate,
        ratio=new_rate / old_rate,
        once=once,
        uses_index=uses_index,
        load=(old_load, new_load),
    )
    goal = (
        ""
        if name != "postgresql"
        else (
            f" [goal >= {GOAL_PER_SECOND}/s: {'PASS' if new_rate >= GOAL_PER_SECOND else 'MISS'}]"
        )
    )
    log(
        f"{name}: {args.cases} overdue; per case {old_rate:.0f} cases/s (load {old_load:.2f}), "
        f"batched by {args.batch} {new_rate:.0f} cases/s (load {new_load:.2f}): "
        f"x{new_rate / old_rate:.2f}{goal}; each escalated once: {'yes' if once else 'NO'}"
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="overdue cases seeded")
    parser.add_argument("--sweep", type=int, default=2000, help="cases swept by each path")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args(argv)
    results = []
    for name in args.databases.split(","):
        if name == "sqlite":
            results.append(run(name, "sqlite", args))
        elif name == "postgresql":
            url = benchlib.recreate_database(args.server, DB_NAME)
            try:
                results.append(run(name, url, args))
            finally:
                benchlib.drop_database(args.server, DB_NAME)
        else:
            raise SystemExit(f"unknown database {name!r}")
    print(f"\n| database | overdue cases | per case (cases/s) | batched by {args.batch} | ratio |")
    print("|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['database']} | {r['cases']:,} | {r['per_case']:.0f} | {r['batched']:.0f} "
            f"| x{r['ratio']:.2f} |"
        )
    if not all(r["once"] and r["uses_index"] is not False for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
