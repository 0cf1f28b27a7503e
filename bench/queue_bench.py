#!/usr/bin/env python
"""Officer queue latency at 10,000 and at 1,000,000 applications (the seed benchmark).

Run on its own, or as the last part of bench/api.py (unless ``--skip-seed-bench``):

    .venv/bin/python bench/queue_bench.py [--small 10000] [--large 1000000] [--requests 200]

1. Creates a fresh database (``loket_bench_queue``), seeds it to ``--small`` applications with
   ``bench/seed.py`` (COPY; the app's migrations and bench/catalogue.yaml), creates an officer
   of DPMPTSP through ``app.accounts.service.create_user``.
2. Starts ``loket serve --workers 1``, gets the officer's token from ``POST /oauth/token`` and
   times, over the real HTTP API (httpx, one keep-alive connection, sequential requests,
   ``--warmup`` untimed requests first), ``--requests`` requests of each of:
   first page (``GET /api/v1/applications?limit=20``), a filtered page
   (``state=submitted&service=IUMK``), the overdue page (``overdue=true``) and a deep page (the
   page after following ``next_cursor`` ``--deep-pages`` times).
3. Stops the server, seeds up to ``--large``, restarts the server and measures again.
4. Prints p50/p95 per query and size, the 1M/10k ratio (goal <= 1.5) and p95 < 30 ms, and
   EXPLAIN (ANALYZE, BUFFERS) of the exact SQL the app runs for each query (captured in-process
   from ``app.applications.service.list_applications``, i.e. the statement
   ``app.cases.repository.queue_page`` sends) at both sizes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
if str(BENCH.parent) not in sys.path:
    sys.path.insert(1, str(BENCH.parent))

import benchlib  # noqa: E402
import httpx  # noqa: E402
from benchlib import HOST, VENV_BIN, ManagedProcess, clean_env, free_port, log  # noqa: E402

OFFICER_EMAIL = "petugas.queue@bench.loket.id"
PASSWORD = "Bench-Kata-Sandi-2026!"
FILTER_SERVICE = "IUMK"
OFFICER_DEPARTMENT = "DPMPTSP"
P95_GOAL_MS = 30.0
RATIO_GOAL = 1.5


def _scenarios() -> dict[str, dict]:
    return {
        "first_page": {"limit": 20},
        "state_service": {"limit": 20, "state": "submitted", "service": FILTER_SERVICE},
        "overdue": {"limit": 20, "overdue": "true"},
        "deep_page": {"limit": 20},  # plus the cursor found by following next_cursor
    }


def _seed(url: str, count: int) -> dict:
    """bench/seed.py as a subprocess (exactly the documented command)."""
    argv = [
        sys.executable,
        str(BENCH / "seed.py"),
        "--database-url",
        url,
        "--count",
        str(count),
        "--seed",
        "20261128",
    ]
    log(f"seeding: {' '.join(argv[1:])}")
    started = time.perf_counter()
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False)
    elapsed = time.perf_counter() - started
    sys.stdout.write(completed.stdout)
    if completed.returncode != 0:
        raise RuntimeError(f"seed.py failed ({completed.returncode}):\n{completed.stderr}")
    report = {}
    for line in completed.stdout.splitlines():
        if "done: " in line:
            report = json.loads(line.split("done: ", 1)[1])
    report["wall_s"] = round(elapsed, 1)
    log(f"seeded to {count} in {elapsed:.1f} s")
    return report


def _create_officer(url: str, data_dir: Path) -> str:
    from app.accounts.service import create_user
    from app.config import Settings
    from app.db import transaction
    from app.runtime import build_runtime

    runtime = build_runtime(Settings(database_url=url, data_dir=data_dir))
    try:
        with transaction(runtime.engine) as session:
            officer = create_user(
                session,
                passwords=runtime.passwords,
                email=OFFICER_EMAIL,
                password=PASSWORD,
                full_name="Petugas Antrean",
                role="officer",
                department_code=OFFICER_DEPARTMENT,
                officer_roles=frozenset({"verifier", "approver"}),
            )
            return str(officer.id)
    finally:
        runtime.engine.dispose()


def _timed(client: httpx.Client, params: dict, n: int) -> tuple[list[float], int]:
    times, items = [], 0
    for _ in range(n):
        started = time.perf_counter()
        response = client.get("/api/v1/applications", params=params)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(
                f"queue request {params} -> {response.status_code} {response.text[:300]}"
            )
        items = len(response.json()["items"])
    return times, items


def _measure(base: str, token: str, *, requests: int, warmup: int, deep_pages: int) -> dict:
    results: dict[str, dict] = {}
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
    ) as client:
        scenarios = _scenarios()
        cursor = None
        for _ in range(deep_pages):
            page = client.get(
                "/api/v1/applications",
                params={"limit": 20, **({"cursor": cursor} if cursor else {})},
            )
            page.raise_for_status()
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        if cursor is None:
            raise RuntimeError(f"the queue has fewer than {deep_pages} pages")
        scenarios["deep_page"]["cursor"] = cursor
        for name, params in scenarios.items():
            _timed(client, params, warmup)
            times, items = _timed(client, params, requests)
            results[name] = {
                "params": params,
                "requests": requests,
                "items_on_page": items,
                "p50_ms": round(benchlib.percentile(times, 50), 2),
                "p95_ms": round(benchlib.percentile(times, 95), 2),
                "max_ms": round(max(times), 2),
            }
    return results


def explain(url: str, officer_id: str, scenarios: dict[str, dict]) -> dict[str, dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of the SQL the app itself sends for each scenario."""
    import uuid

    from sqlalchemy import event
    from sqlmodel import Session

    from app.accounts.principal import Principal
    from app.applications.service import list_applications
    from app.cases.queue import ListQuery
    from app.config import Settings
    from app.db import build_engine
    from app.models import User
    from app.oauth.service import FIRST_PARTY_CLIENT, USER_SCOPES

    engine = build_engine(Settings(database_url=url, db_pool_size=1, db_work_threads=1))
    captured: list[tuple[str, object]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(_conn, _cursor, statement, parameters, _context, _many):
        # The page itself (app.cases.repository.queue_page), not the caller's account lookup.
        if "FROM cases" in statement and not statement.startswith("EXPLAIN"):
            captured.append((statement, parameters))

    plans: dict[str, dict] = {}
    try:
        with Session(engine) as session:
            officer = session.get(User, uuid.UUID(officer_id))
            principal = Principal(user=officer, client_id=FIRST_PARTY_CLIENT, scopes=USER_SCOPES)
            for name, params in scenarios.items():
                captured.clear()
                list_applications(
                    session,
                    principal=principal,
                    query=ListQuery(
                        state=params.get("state"),
                        subject=params.get("service"),
                        overdue=params.get("overdue") == "true",
                        limit=params.get("limit", 20),
                        cursor=params.get("cursor"),
                    ),
                )
                statement, parameters = captured[-1]
                connection = session.connection()
                for _ in range(2):  # the second run is the warm one we keep
                    rows = connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    ).all()
                plan = [row[0] for row in rows]
                execution = next((line for line in plan if line.startswith("Execution Time")), "")
                plans[name] = {
                    "sql": statement,
                    "parameters": _jsonable(parameters),
                    "plan": plan,
                    "execution_ms": _ms(execution),
                }
            session.rollback()
    finally:
        engine.dispose()
    return plans


def _jsonable(parameters) -> object:
    if isinstance(parameters, dict):
        return {k: str(v) for k, v in parameters.items()}
    return str(parameters)


def _ms(line: str) -> float | None:
    try:
        return float(line.split(":")[1].strip().split()[0])
    except (IndexError, ValueError):
        return None


def _serve(url: str, data_dir: Path, workdir: Path, tag: str) -> tuple[ManagedProcess, str]:
    port = free_port()
    server = ManagedProcess(
        f"loket-queue-{tag}",
        [str(VENV_BIN / "loket"), "serve", "--host", HOST, "--port", str(port), "--workers", "1"],
        env=clean_env(
            LOKET_DATABASE_URL=url, LOKET_DATA_DIR=str(data_dir), LOKET_DB_POOL_SIZE="16"
        ),
        cwd=workdir,
        log_path=workdir / f"loket-queue-{tag}.log",
    )
    base = f"http://{HOST}:{port}"
    try:
        server.wait_healthy(f"{base}/healthz", workers=1)
    except BaseException:
        server.stop()
        raise
    return server, base


def run(
    pg_server_url: str,
    *,
    small: int = 10_000,
    large: int = 1_000_000,
    requests: int = 200,
    warmup: int = 20,
    deep_pages: int = 50,
    db_name: str = "loket_bench_queue",
    keep_database: bool = False,
) -> dict:
    """The whole seed benchmark; returns a JSON-able report (and prints a summary)."""
    started = time.perf_counter()
    report: dict = {"sizes": {}, "seeding": {}, "explain": {}}
    url = benchlib.recreate_database(pg_server_url, db_name)
    try:
        with tempfile.TemporaryDirectory(prefix="loket-queue-bench-") as tmp:
            workdir = Path(tmp)
            data_dir = workdir / "data"
            officer_id = None
            for size in (small, large):
                report["seeding"][str(size)] = _seed(url, size)
                if officer_id is None:
                    officer_id = _create_officer(url, data_dir)
                server, base = _serve(url, data_dir, workdir, str(size))
                try:
                    token = benchlib.password_token(base, OFFICER_EMAIL, PASSWORD)
                    log(
                        f"measuring the queue at {size} applications "
                        f"({requests} requests per query, 1 worker)"
                    )
                    measured = _measure(
                        base, token, requests=requests, warmup=warmup, deep_pages=deep_pages
                    )
                finally:
                    server.stop()
                report["sizes"][str(size)] = measured
                report["explain"][str(size)] = explain(
                    url, officer_id, {name: m["params"] for name, m in measured.items()}
                )
    finally:
        if not keep_database:
            benchlib.drop_database(pg_server_url, db_name)
    report["goals"] = _goals(report, small, large)
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    print_report(report, small, large)
    return report


def _goals(report: dict, small: int, large: int) -> dict:
    goals = {}
    a, b = report["sizes"][str(small)], report["sizes"][str(large)]
    for name in a:
        ratio = b[name]["p95_ms"] / a[name]["p95_ms"] if a[name]["p95_ms"] else float("inf")
        goals[name] = {
            "p95_ratio": round(ratio, 2),
            "p50_ratio": round(b[name]["p50_ms"] / a[name]["p50_ms"], 2),
            "ratio_ok": ratio <= RATIO_GOAL,
            "p95_ok": a[name]["p95_ms"] < P95_GOAL_MS and b[name]["p95_ms"] < P95_GOAL_MS,
        }
    return goals


def _label(size: int) -> str:
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size // 1000}k"


def print_report(report: dict, small: int, large: int) -> None:
    a, b = report["sizes"][str(small)], report["sizes"][str(large)]
    ls, ll = _label(small), _label(large)
    print()
    print(
        f"Officer queue over HTTP (1 worker, sequential httpx), ms; goal: "
        f"p95 {ll}/{ls} <= {RATIO_GOAL} and p95 < {P95_GOAL_MS:g} ms"
    )
    header = (
        f"{'query':<14} {ls + ' p50':>9} {ls + ' p95':>9} {ll + ' p50':>9} "
        f"{ll + ' p95':>9} {'p95 ratio':>9} {'SQL ' + ll:>9}  ratio  p95<30"
    )
    print(header)
    print("-" * len(header))
    for name in a:
        goal = report["goals"][name]
        sql_ms = report["explain"][str(large)][name]["execution_ms"]
        print(
            f"{name:<14} {a[name]['p50_ms']:>9.2f} {a[name]['p95_ms']:>9.2f} "
            f"{b[name]['p50_ms']:>9.2f} {b[name]['p95_ms']:>9.2f} {goal['p95_ratio']:>9.2f} "
            f"{sql_ms if sql_ms is not None else float('nan'):>9.2f}  "
            f"{'PASS' if goal['ratio_ok'] else 'MISS':<5}  "
            f"{'PASS' if goal['p95_ok'] else 'MISS'}"
        )
    print(
        f"(items on the page at {ll}: " + ", ".join(f"{n}={b[n]['items_on_page']}" for n in b) + ")"
    )
    for size, seeded in report["seeding"].items():
        print(
            f"seeding to {size}: {seeded.get('added')} rows added in {seeded.get('wall_s')} s "
            f"(timings {seeded.get('timings')})"
        )
    for name, plan in report["explain"][str(large)].items():
        print(f"\nEXPLAIN ANALYZE at {ll}: {name} ({plan['execution_ms']} ms)")
        for line in plan["plan"]:
            if not line.strip().startswith(("Planning:", "Buffers:")) or "Execution" in line:
                print("   " + line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Officer queue latency at 10k and 1M rows.")
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL (no database name)",
    )
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--deep-pages", type=int, default=50)
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args(argv)
    benchlib.install_signal_handlers()
    report = run(
        args.pg,
        small=args.small,
        large=args.large,
        requests=args.requests,
        warmup=args.warmup,
        deep_pages=args.deep_pages,
        keep_database=args.keep_database,
    )
    out = BENCH / "results" / f"queue-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    log(f"results: {out}")


if __name__ == "__main__":
    main()
