#!/usr/bin/env python
"""The audit log at scale: its first checkpoint and ``loket audit verify`` over a million events.

    .venv/bin/python bench/audit.py [--events 1000000] [--keep]

One run, on the local PostgreSQL (``loket_bench_audit``, recreated):
1. Migrations and bench/catalogue.yaml, one resident and one officer.
2. ``--events`` events with VALID hash chains, written with COPY: cases of four events each
   (created, submitted, review started, rejected with a reason), every hash computed by the
   app's own ``app.cases.timeline.event_row``, so that verification recomputes real chains.
3. Times the first checkpoint (sequencing every event into the log, hashing the tree, signing):
   the one-off backfill of a database that had no log yet.
4. Adds 1% more events the same way and times the next checkpoint (it resumes from the saved
   frontier, so it hashes only what is new).
5. Times ``verify_all`` (timelines, case rows, leaves, checkpoints): goal < 60 s, no finding.
Results go to bench/results/audit-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import io
import json
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
import psycopg  # noqa: E402
from benchlib import log  # noqa: E402

CATALOGUE = BENCH / "catalogue.yaml"
GOAL_SECONDS = 60.0
EVENTS_PER_CASE = 4
CASE_COLUMNS = (
    "id", "kind", "reference", "subject_code", "workflow", "department_id", "owner_id",
    "state", "data", "submitted_at", "decided_at", "paused_working_days", "version",
    "event_seq", "event_head", "created_at", "updated_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "case_id", "seq", "action", "from_state", "to_state", "actor_type", "actor_id", "comment",
    "details", "created_at", "prev_hash", "hash",
)  # fmt: skip


def setup(pg: str, name: str, data_dir: Path):
    from app.accounts.service import create_user
    from app.catalogue.definitions import load_catalogue
    from app.catalogue.service import load_catalogue as store_catalogue
    from app.config import Settings
    from app.db import transaction
    from app.migrate import upgrade
    from app.runtime import build_runtime

    url = benchlib.recreate_database(pg, name)
    settings = Settings(database_url=url, data_dir=data_dir, db_work_threads=1)
    upgrade(settings)
    runtime = build_runtime(settings)
    with transaction(runtime.engine) as session:
        store_catalogue(session, catalogue=load_catalogue(CATALOGUE))
    with transaction(runtime.engine) as session:
        citizen = create_user(
            session,
            passwords=runtime.passwords,
            email="warga.audit@bench.loket.id",
            password="Bench-Kata-Sandi-2026!",
            full_name="Siti Rahmawati",
            role="citizen",
            nik="3273015503900002",
        )
    return url, runtime, citizen.id


def _case_rows(index: int, *, owner: uuid.UUID, service: tuple, start: datetime):
    """One case's row and its four events, as COPY lines, with real chain hashes."""
    from app.cases.timeline import GENESIS, EventDraft, event_row

    service_id, code, department_id, workflow = service
    case_id = uuid.uuid4()
    moment = start + timedelta(seconds=index)
    steps = (
        EventDraft("application.created", "user", str(owner), to_state="draft"),
        EventDraft("application.submitted", "user", str(owner), "draft", "submitted"),
        EventDraft("application.review_started", "user", None, "submitted", "in_review"),
        EventDraft(
            "application.rejected", "user", None, "in_review", "rejected", "Berkas tidak lengkap"
        ),
    )
    prev, events = GENESIS, []
    for seq, draft in enumerate(steps, 1):
        row = event_row(
            case_id=case_id,
            seq=seq,
            prev_hash=prev,
            draft=draft,
            created_at=moment + timedelta(milliseconds=seq),
        )
        events.append(
            "\t".join(
                [
                    str(case_id),
                    str(seq),
                    row["action"],
                    row["from_state"] or "\\N",
                    row["to_state"] or "\\N",
                    row["actor_type"],
                    row["actor_id"] or "\\N",
                    row["comment"] or "\\N",
                    json.dumps(row["details"]),
                    row["created_at"].isoformat(),
                    row["prev_hash"],
                    row["hash"],
                ]
            )
            + "\n"
        )
        prev = row["hash"]
    at = moment.isoformat()
    case = "\t".join(
        [
            str(case_id), "application", f"{code}-A-{index:09d}", code, workflow,
            str(department_id), str(owner), "rejected", "{}", at, at, "0", "4",
            str(EVENTS_PER_CASE), prev, at, at,
        ]
    ) + "\n"  # fmt: skip
    return case, f"{case_id}\t{service_id}\n", events


def write_cases(url: str, *, cases: int, owner: uuid.UUID, first: int) -> float:
    """COPY ``cases`` cases of four events each; returns the seconds spent."""
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        service = conn.execute(
            "SELECT id, code, department_id, workflow FROM services WHERE is_current LIMIT 1"
        ).fetchone()
        start = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
        for batch_start in range(0, cases, 20_000):
            case_lines, app_lines, event_lines = io.StringIO(), io.StringIO(), io.StringIO()
            for index in range(batch_start, min(cases, batch_start + 20_000)):
                case, app, events = _case_rows(
                    first + index, owner=owner, service=service, start=start
                )
                case_lines.write(case)
                app_lines.write(app)
                event_lines.writelines(events)
            with conn.cursor() as cursor:
                for table, columns, lines in (
                    ("cases", CASE_COLUMNS, case_lines),
                    ("applications", ("id", "service_id"), app_lines),
                    ("events", EVENT_COLUMNS, event_lines),
                ):
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        copy.write(lines.getvalue())
            conn.commit()
        conn.execute("ANALYZE")
    return time.perf_counter() - started


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    log(f"{label}: {seconds:.1f} s")
    return result, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="loket_bench_audit")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    from app.audit.service import checkpoint, verify_all
    from app.db import transaction

    work = Path(tempfile.mkdtemp(prefix="loket-bench-audit-"))
    url, runtime, owner = setup(args.pg, args.database, work / "data")
    settings = runtime.settings
    cases = args.events // EVENTS_PER_CASE
    seconds = write_cases(url, cases=cases, owner=owner, first=0)
    events = cases * EVENTS_PER_CASE
    log(f"wrote {cases} cases, {events} events with valid chains in {seconds:.1f} s")

    def make():
        with transaction(runtime.engine) as session:
            return checkpoint(session, settings=settings)

    first, first_s = timed("first checkpoint (the backfill: sequence and hash every event)", make)
    more = max(1, cases // 100)
    write_cases(url, cases=more, owner=owner, first=cases)
    second, second_s = timed(f"next checkpoint after {more * EVENTS_PER_CASE} more events", make)

    def check():
        with transaction(runtime.engine) as session:  # as `loket audit verify` runs it
            return verify_all(session, settings=settings)

    report, verify_s = timed("loket audit verify", check)
    verdict = "PASS" if verify_s < GOAL_SECONDS and not report.findings else "MISS"
    print(
        f"\nevents {report.events}, cases {report.cases}, logged {report.leaves}, "
        f"checkpoints {report.checkpoints}, findings {len(report.findings)}\n"
        f"first checkpoint {first_s:.1f} s, next checkpoint {second_s:.2f} s, "
        f"verify {verify_s:.1f} s (goal < {GOAL_SECONDS:.0f} s and no finding): {verdict}"
    )
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (results / f"audit-{stamp}.json").write_text(
        json.dumps(
            {
                "events": report.events,
                "first_checkpoint_s": first_s,
                "next_checkpoint_s": second_s,
                "verify_s": verify_s,
                "findings": [f.__dict__ for f in report.findings[:20]],
                "tree_size": second.tree_size if second else first.tree_size,
            },
            indent=2,
        )
    )
    runtime.engine.dispose()
    if not args.keep:
        benchlib.drop_database(args.pg, args.database)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
