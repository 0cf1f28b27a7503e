#!/usr/bin/env python
"""Loket's API throughput against reference apps, then the officer queue at 10k and 1M rows.

    .venv/bin/python bench/api.py [--duration 10] [--connections 16] [--skip-seed-bench]

One run:
1. Recreates the database ``loket_bench`` on the local PostgreSQL, runs the app's migrations,
   loads bench/catalogue.yaml, creates a citizen and an officer of DPMPTSP with
   ``app.accounts.service.create_user``.
2. For each worker count (``--workers``, default 1 and 2):
   a. starts the ceiling app (bench/ceiling_app.py: bare FastAPI) with uvicorn and that many
      workers, and loads its ``GET /healthz`` and ``GET /rows`` (one async psycopg query of 20
      rows, no authentication, no ORM);
   b. starts the naive reference app (bench/naive_app.py: FastAPI + SQLModel insert + commit +
      refresh, sync route, same pool) with uvicorn and that many workers, and loads
      ``POST /items``;
   c. starts the real server, ``loket serve --host 127.0.0.1 --port P --workers N`` with
      LOKET_DATABASE_URL, LOKET_DATA_DIR (a temp dir) and LOKET_DB_POOL_SIZE=16, waits for
      /healthz, gets tokens for both users from ``POST /oauth/token`` (password grant), and loads
      GET /healthz, POST /api/v1/applications (create, as the citizen),
      POST /api/v1/applications/{id}/transitions submit (one fresh draft per request: drafts are
      written beforehand by bench/seed.py's ``insert_drafts``, and the wrk script walks through
      their ids), GET /api/v1/applications?limit=20 (the officer's queue, first page).
   Each load is ``wrk -t2 -c16 -d<duration>s --latency`` after a short untimed warm-up.
3. Prints requests/s, p50, p99, errors, CPU per endpoint, the goals as PASS/MISS (Loket's
   /healthz >= 0.8 of the bare /healthz, create/naive >= 1.3, queue >= 0.5 of the one-query
   read, p99 < 100 ms on create, submit and queue, create and submit with the audit log >= 0.9
   of without) and writes bench/results/api-<ts>.json.
4. Unless ``--skip-seed-bench``: bench/queue_bench.py (seed 10k, measure the queue, seed up to
   1M, measure again, EXPLAIN ANALYZE); its report goes into the same JSON file.

wrk, PostgreSQL and the servers share this machine's cores, so absolute numbers move with the
machine; the ratios to the reference measured in the same run are the point.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
if str(BENCH.parent) not in sys.path:
    sys.path.insert(1, str(BENCH.parent))

import benchlib  # noqa: E402
import ceiling  # noqa: E402
import naive_app  # noqa: E402
import psycopg  # noqa: E402
import seed  # noqa: E402
from benchlib import HOST, VENV_BIN, ManagedProcess, clean_env, free_port, log  # noqa: E402

CATALOGUE = BENCH / "catalogue.yaml"
PASSWORD = "Bench-Kata-Sandi-2026!"
CITIZEN = {
    "email": "warga.bench@bench.loket.id",
    "full_name": "Siti Rahmawati",
    "nik": "3273015503900002",
}
OFFICER = {
    "email": "petugas.bench@bench.loket.id",
    "full_name": "Budi Santoso",
    "department": "DPMPTSP",
}
SERVICE = "IUMK"
FORM_DATA = {
    "business_name": "Warung Sejahtera",
    "employees": 3,
    "business_address": "Jl. Kemang Raya No. 12",
}
CREATE_BODY = json.dumps({"service_code": SERVICE, "data": FORM_DATA}, separators=(",", ":"))
SUBMIT_BODY = json.dumps({"action": "submit", "version": 1}, separators=(",", ":"))
ENDPOINTS = ("bare_healthz", "bare_rows", "naive", "healthz", "create", "submit", "queue")
LABELS = {
    "bare_healthz": "(a) bare FastAPI /healthz",
    "bare_rows": "(b) bare one-query read",
    "naive": "(c) naive insert+refresh",
    "healthz": "(d) GET /healthz",
    "create": "(e) POST /applications",
    "submit": "(f) submit transition",
    "queue": "(g) GET queue limit=20",
}
CPUS = benchlib.os.cpu_count() or 1
# The goals: (name, Loket's endpoint, the reference it is divided by, the least ratio).
RATIO_GOALS = (
    ("healthz_over_bare", "healthz", "bare_healthz", 0.8),
    ("create_over_naive", "create", "naive", 1.3),
    ("queue_over_bare_rows", "queue", "bare_rows", 0.5),
)
# The audit log must not slow the write path: with it sequencing and signing all the time,
# create and submit keep at least this share of their rate without it (same run, same server).
AUDIT_LOG_ENDPOINTS = ("create", "submit")
AUDIT_LOG_LEAST = 0.9
AUDIT_LOG_ROUNDS = 2
P99_GOAL_MS = 100.0
P99_ENDPOINTS = ("create", "submit", "queue")


# --------------------------------------------------------------------------------------------
# Set-up
# --------------------------------------------------------------------------------------------


def setup_database(
    pg: str, name: str, data_dir: Path, base_rows: int = 0
) -> tuple[str, dict[str, str]]:
    """Fresh database, migrations, catalogue, one citizen and one officer, and ``base_rows``
    realistic applications from bench/seed.py (so the officer's queue page has a realistic mix
    of states, not only what the benchmark itself creates); returns (url, user ids)."""
    from app.accounts.service import create_user
    from app.catalogue.definitions import load_catalogue
    from app.catalogue.service import load_catalogue as store_catalogue
    from app.config import Settings
    from app.db import transaction
    from app.migrate import upgrade
    from app.runtime import build_runtime

    url = benchlib.recreate_database(pg, name)
    settings = Settings(database_url=url, data_dir=data_dir)
    upgrade(settings)
    runtime = build_runtime(settings)  # also creates the signing keys the server will load
    try:
        with transaction(runtime.engine) as session:
            store_catalogue(session, catalogue=load_catalogue(CATALOGUE))
        with transaction(runtime.engine) as session:
            citizen = create_user(
                session,
                passwords=runtime.passwords,
                email=CITIZEN["email"],
                password=PASSWORD,
                full_name=CITIZEN["full_name"],
                role="citizen",
                nik=CITIZEN["nik"],
            )
            officer = create_user(
                session,
                passwords=runtime.passwords,
                email=OFFICER["email"],
                password=PASSWORD,
                full_name=OFFICER["full_name"],
                role="officer",
                department_code=OFFICER["department"],
                officer_roles=frozenset({"verifier", "approver"}),
            )
            ids = {"citizen": str(citizen.id), "officer": str(officer.id)}
    finally:
        runtime.engine.dispose()
    if base_rows:
        seed.seed(url, count=base_rows, citizens=min(5000, base_rows), random_seed=1)
    naive_app.create_schema(url)
    return url, ids


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


class Loader:
    """Runs wrk (warm-up, then the timed run) and adds CPU figures to its numbers."""

    def __init__(self, args, workdir: Path) -> None:
        self.args, self.workdir = args, workdir

    def __call__(
        self,
        name: str,
        server: ManagedProcess,
        url: str,
        script: str,
        warm_script: str | None = None,
    ) -> dict:
        a = self.args
        background = benchlib.wait_for_quiet(a.quiet_wait) if a.quiet_wait > 0 else None
        if a.warmup > 0:
            benchlib.run_wrk(
                url,
                warm_script or script,
                duration=a.warmup,
                connections=a.connections,
                threads=a.threads,
                workdir=self.workdir,
                name=f"{name}-warmup",
            )
        server_cpu, pg_cpu = server.cpu_seconds(), benchlib.postgres_cpu_seconds(a.database)
        busy0, total0 = benchlib.machine_busy()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        snapshot = benchlib.cpu_snapshot()
        result = benchlib.run_wrk(
            url,
            script,
            duration=a.duration,
            connections=a.connections,
            threads=a.threads,
            workdir=self.workdir,
            name=name,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy1, total1 = benchlib.machine_busy()
        seconds = result["seconds"] or a.duration
        result["server_cpu_cores"] = round((server.cpu_seconds() - server_cpu) / seconds, 2)
        result["server_cpu_ms_per_request"] = round(
            1000 * (server.cpu_seconds() - server_cpu) / max(1, result["requests"]), 2
        )
        result["postgres_cpu_cores"] = round(
            (benchlib.postgres_cpu_seconds(a.database) - pg_cpu) / seconds, 2
        )
        result["wrk_cpu_cores"] = round(
            (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) / seconds, 2
        )
        result["machine_busy"] = round((busy1 - busy0) / max(1, total1 - total0), 2)
        # Whatever else ran meanwhile (other people's test suites on a shared machine).
        result["other_cpu_cores"] = round(
            max(
                0.0,
                result["machine_busy"] * CPUS
                - (
                    result["server_cpu_cores"]
                    + result["postgres_cpu_cores"]
                    + result["wrk_cpu_cores"]
                ),
            ),
            2,
        )
        result["busy_before"] = None if background is None else round(background, 2)
        ours = server.pids() | {benchlib.os.getpid()}
        result["other_top"] = [
            (title, cores)
            for title, cores in benchlib.top_cpu_users(
                snapshot, benchlib.cpu_snapshot(), seconds, exclude=ours
            )
            if not title.startswith(("postgres: ", "/usr/bin/wrk", "wrk "))
            or (
                " postgres " in title
                and f" {a.database} " not in title
                and ("(" in title or "[local]" in title)
            )
        ]
        log(
            f"  {name:<12} {result['rps']:>8.1f} req/s  p50 {result['p50_ms']:.1f} ms  "
            f"p99 {result['p99_ms']:.1f} ms  non-2xx {result['non_2xx']}  "
            f"server {result['server_cpu_cores']} cores, postgres "
            f"{result['postgres_cpu_cores']}, wrk {result['wrk_cpu_cores']}, other "
            f"{result['other_cpu_cores']}"
        )
        return result


def run_ceiling(args, url: str, workers: int, workdir: Path, load: Loader) -> dict:
    """The bare FastAPI /healthz and one-query read (bench/ceiling_app.py), same workers."""
    server, base = ceiling.start(url, workers=workers, workdir=workdir)
    with server:
        script = benchlib.lua_script(threads=args.threads)
        return {
            f"bare_{path}": load(f"bare_{path}", server, f"{base}/{path}", script)
            for path in ceiling.PATHS
        }


def run_naive(args, url: str, workers: int, workdir: Path, load: Loader) -> dict:
    port = free_port()
    server = ManagedProcess(
        f"naive-w{workers}",
        [
            str(VENV_BIN / "uvicorn"),
            "naive_app:app",
            "--app-dir",
            str(BENCH),
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=clean_env(NAIVE_DATABASE_URL=url, NAIVE_POOL_SIZE=str(args.pool_size)),
        cwd=workdir,
        log_path=workdir / f"naive-w{workers}.log",
    )
    with server:
        base = f"http://{HOST}:{port}"
        server.wait_healthy(f"{base}/healthz", workers=workers)
        script = benchlib.lua_script(
            method="POST",
            body=CREATE_BODY,
            headers={"Content-Type": "application/json"},
            threads=args.threads,
        )
        return load("naive", server, f"{base}/items", script)


def _drafts_file(url: str, citizen_id: str, count: int, path: Path) -> list[str]:
    ids = seed.insert_drafts(
        url, owner_id=citizen_id, service_code=SERVICE, data=FORM_DATA, count=count
    )
    path.write_text("\n".join(ids) + "\n")
    return ids


def run_loket(
    args, url: str, users: dict[str, str], data_dir: Path, workers: int, workdir: Path, load: Loader
) -> dict:
    port = free_port()
    server = ManagedProcess(
        f"loket-w{workers}",
        [
            str(VENV_BIN / "loket"),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=clean_env(
            LOKET_DATABASE_URL=url,
            LOKET_DATA_DIR=str(data_dir),
            LOKET_DB_POOL_SIZE=str(args.pool_size),
        ),
        cwd=workdir,
        log_path=workdir / f"loket-w{workers}.log",
    )
    results: dict[str, dict] = {}
    with server:
        base = f"http://{HOST}:{port}"
        server.wait_healthy(f"{base}/healthz", workers=workers)
        citizen = benchlib.password_token(base, CITIZEN["email"], PASSWORD)
        officer = benchlib.password_token(base, OFFICER["email"], PASSWORD)
        json_auth = {"Content-Type": "application/json", "Authorization": f"Bearer {citizen}"}
        t = args.threads

        results["healthz"] = load(
            "healthz", server, f"{base}/healthz", benchlib.lua_script(threads=t)
        )
        results["create"] = load(
            "create",
            server,
            f"{base}/api/v1/applications",
            benchlib.lua_script(method="POST", body=CREATE_BODY, headers=json_auth, threads=t),
        )

        results["submit"] = _load_submit(
            "submit",
            args,
            url,
            users,
            workdir,
            load,
            server,
            base,
            json_auth,
            results["create"]["rps"],
        )
        results["queue"] = load(
            "queue",
            server,
            f"{base}/api/v1/applications?limit=20",
            benchlib.lua_script(headers={"Authorization": f"Bearer {officer}"}, threads=t),
        )
        with psycopg.connect(seed.psycopg_url(url)) as conn:
            results["queue"]["department_rows"] = dict(
                conn.execute(
                    "SELECT c.state, count(*) FROM cases c JOIN departments d "
                    "ON d.id = c.department_id WHERE d.code = %s AND c.kind = 'application' "
                    "GROUP BY c.state",
                    (OFFICER["department"],),
                ).fetchall()
            )
        import queue_bench

        plan = queue_bench.explain(url, users["officer"], {"first_page": {"limit": 20}})
        results["queue"]["sql"] = plan["first_page"]
        log(
            f"  queue SQL: {plan['first_page']['execution_ms']} ms in PostgreSQL "
            f"(EXPLAIN ANALYZE; {sum(results['queue']['department_rows'].values())} rows in "
            "the department)"
        )
        if workers == 1:
            results["audit_log"] = _load_with_the_audit_log(
                args, url, users, data_dir, workdir, load, server, base, json_auth
            )
    if server.log_path.exists():
        errors = [
            line
            for line in server.log_path.read_text(errors="replace").splitlines()
            if "Traceback" in line or " 500 " in line
        ]
        results["server_log_errors"] = len(errors)
    return results


def _load_submit(
    name: str,
    args,
    url: str,
    users: dict[str, str],
    workdir: Path,
    load: Loader,
    server: ManagedProcess,
    base: str,
    json_auth: dict,
    create_rps: float,
) -> dict:
    """Submit one fresh draft per request, then remove the drafts wrk did not reach."""
    # Enough drafts for 2.5x the create rate, at least 2,000.
    rate = max(create_rps, 100.0)
    n_run = max(2000, math.ceil(rate * args.duration * 2.5))
    n_warm = max(500, math.ceil(rate * args.warmup * 2.5)) if args.warmup > 0 else 0
    started = time.perf_counter()
    run_file, warm_file = workdir / f"ids-{name}.txt", workdir / f"ids-{name}-warmup.txt"
    run_ids = _drafts_file(url, users["citizen"], n_run, run_file)
    if n_warm:
        _drafts_file(url, users["citizen"], n_warm, warm_file)
    log(f"  wrote {n_run} + {n_warm} drafts for {name} in {time.perf_counter() - started:.1f} s")
    path = "/api/v1/applications/{id}/transitions"

    def script(ids_file: Path) -> str:
        return benchlib.lua_script(
            method="POST",
            body=SUBMIT_BODY,
            headers=json_auth,
            ids_file=ids_file,
            path_template=path,
            threads=args.threads,
        )

    result = load(
        name, server, base, script(run_file), warm_script=script(warm_file) if n_warm else None
    )
    with psycopg.connect(seed.psycopg_url(url)) as conn:
        submitted = conn.execute(
            "SELECT count(*) FROM cases WHERE id = ANY(%s::uuid[]) AND state = 'submitted'",
            (run_ids,),
        ).fetchone()[0]
        # The drafts wrk did not reach are scaffolding, not traffic: remove them, or the
        # officer's queue (which skips drafts) would have to step over thousands of them.
        spare = [i for p in (run_file, warm_file) if p.exists() for i in p.read_text().split()]
        unused = "SELECT id FROM cases WHERE id = ANY(%(ids)s::uuid[]) AND state = 'draft'"
        for table in ("events", "applications"):
            column = "case_id" if table == "events" else "id"
            conn.execute(f"DELETE FROM {table} WHERE {column} IN ({unused})", {"ids": spare})
        removed = conn.execute(
            "DELETE FROM cases WHERE id = ANY(%s::uuid[]) AND state = 'draft'", (spare,)
        ).rowcount
        conn.commit()
        conn.execute("ANALYZE cases")
        conn.execute("ANALYZE applications")
    result["drafts_prepared"] = n_run
    # >= the 2xx count: requests still in flight when wrk stopped counting also commit.
    result["drafts_submitted_in_db"] = submitted
    result["unused_drafts_removed"] = removed
    log(
        f"  {name}: {result['requests']} requests, {result['non_2xx']} non-2xx; {submitted} "
        f"drafts now submitted in the database (in-flight requests at the end included)"
        + (f"; first error: {result['first_error']}" if result["first_error"] else "")
    )
    return result


class AuditSequencer:
    """The worker's audit job (log every new event, sign a checkpoint) run back to back, one
    second apart, in this process while it is switched on. A worker does it every
    LOKET_AUDIT_CHECKPOINT_MINUTES (10): this is far more than it ever costs the write path."""

    def __init__(self, url: str, data_dir: Path) -> None:
        from app.config import Settings
        from app.db import build_engine

        self.settings = Settings(database_url=url, data_dir=data_dir, _env_file=None)
        self.engine = build_engine(self.settings.model_copy(update={"db_pool_size": 1}))
        self.on, self.stop = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.checkpoints, self.largest = 0, 0

    def _run(self) -> None:
        from app.audit.service import checkpoint
        from app.db import transaction

        while not self.stop.is_set():
            if self.on.is_set():
                with transaction(self.engine) as session:
                    made = checkpoint(session, settings=self.settings)
                if made is not None:
                    self.checkpoints, self.largest = self.checkpoints + 1, made.tree_size
            self.stop.wait(1.0)

    def __enter__(self) -> AuditSequencer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.engine.dispose()


def _load_with_the_audit_log(
    args,
    url: str,
    users: dict[str, str],
    data_dir: Path,
    workdir: Path,
    load: Loader,
    server: ManagedProcess,
    base: str,
    json_auth: dict,
) -> dict:
    """Create and submit, alternately without and with the audit log sequencing and signing
    every second, AUDIT_LOG_ROUNDS times: alternating spreads the machine's background noise
    over both variants instead of charging it to one."""
    create = benchlib.lua_script(
        method="POST", body=CREATE_BODY, headers=json_auth, threads=args.threads
    )
    runs: dict[str, dict[str, list[dict]]] = {
        endpoint: {"without": [], "with": []} for endpoint in AUDIT_LOG_ENDPOINTS
    }
    with AuditSequencer(url, data_dir) as sequencer:
        for round_number in range(1, AUDIT_LOG_ROUNDS + 1):
            for variant in ("without", "with"):
                if variant == "with":
                    sequencer.on.set()
                else:
                    sequencer.on.clear()
                tag = f"{variant}_log_{round_number}"
                made = load(f"create_{tag}", server, f"{base}/api/v1/applications", create)
                submitted = _load_submit(
                    f"submit_{tag}", args, url, users, workdir, load, server, base, json_auth,
                    made["rps"],
                )  # fmt: skip
                runs["create"][variant].append(made)
                runs["submit"][variant].append(submitted)
    log(f"  audit log: {sequencer.checkpoints} checkpoints, {sequencer.largest} events logged")
    return {
        "checkpoints": sequencer.checkpoints,
        "tree_size": sequencer.largest,
        "runs": {
            endpoint: {
                variant: [
                    {key: run[key] for key in ("rps", "p99_ms", "server_cpu_ms_per_request")}
                    for run in variants[variant]
                ]
                for variant in variants
            }
            for endpoint, variants in runs.items()
        },
    }


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def goals(phases: dict[str, dict]) -> dict:
    out = {}
    for workers, r in phases.items():
        out[workers] = {}
        for name, ours, reference, least in RATIO_GOALS:
            ratio = r[ours]["rps"] / r[reference]["rps"] if r[reference]["rps"] else 0.0
            out[workers][name] = {
                "value": round(ratio, 2),
                "goal": f">= {least}",
                "pass": ratio >= least,
            }
        out[workers]["p99_under_100ms"] = {
            name: {"p99_ms": r[name]["p99_ms"], "pass": r[name]["p99_ms"] < P99_GOAL_MS}
            for name in P99_ENDPOINTS
        }
        out[workers]["no_errors"] = {
            name: r[name]["non_2xx"] + r[name]["socket_errors"] == 0 for name in ENDPOINTS
        }
        out[workers]["audit_log"] = {
            endpoint: _audit_log_ratio(runs)
            for endpoint, runs in r.get("audit_log", {}).get("runs", {}).items()
        }
    return out


def _audit_log_ratio(runs: dict[str, list[dict]]) -> dict:
    """Requests per second with the log over without it, summed over the alternating rounds;
    and the server's CPU per request, which the machine's other load moves less."""
    rps = {variant: sum(run["rps"] for run in runs[variant]) for variant in runs}
    cpu = {
        variant: sum(run["server_cpu_ms_per_request"] for run in runs[variant]) / len(runs[variant])
        for variant in runs
    }
    ratio = rps["with"] / rps["without"] if rps["without"] else 0.0
    return {
        "value": round(ratio, 2),
        "goal": f">= {AUDIT_LOG_LEAST}",
        "pass": ratio >= AUDIT_LOG_LEAST,
        "server_cpu_ms_per_request": {v: round(ms, 2) for v, ms in cpu.items()},
    }


def print_report(phases: dict[str, dict], goal_table: dict, args) -> None:
    print()
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, "
        f"pool {args.pool_size}, {benchlib.os.cpu_count()} CPUs shared by wrk, servers "
        "and PostgreSQL"
    )
    header = (
        f"{'workers':>7}  {'endpoint':<26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'non2xx':>7} {'srv cpu':>7} {'ms/req':>7} {'pg cpu':>7} {'other':>6}  p99<100"
    )
    print(header)
    print("-" * len(header))
    for workers, r in phases.items():
        for name in ENDPOINTS:
            m = r[name]
            errors = m["non_2xx"] + m["socket_errors"]
            p99 = goal_table[workers]["p99_under_100ms"].get(name)
            print(
                f"{workers:>7}  {LABELS[name]:<26} {m['rps']:>9.1f} {m['p50_ms']:>8.2f} "
                f"{m['p99_ms']:>8.2f} {errors:>7} {m['server_cpu_cores']:>7.2f} "
                f"{m['server_cpu_ms_per_request']:>7.2f} "
                f"{m['postgres_cpu_cores']:>7.2f} {m['other_cpu_cores']:>6.2f}  "
                f"{'-' if p99 is None else 'PASS' if p99['pass'] else 'MISS'}"
            )
    print(
        "srv cpu / pg cpu / other = cores used during the timed run by the server under test, "
        "by its PostgreSQL backends, and by anything else on the machine (wrk excluded); "
        "ms/req = server CPU per request (moves less than req/s when the machine is shared)"
    )
    noisy = [
        f"{w}/{n}" for w, r in phases.items() for n in ENDPOINTS if r[n]["other_cpu_cores"] > 0.2
    ]
    if noisy:
        print(
            f"WARNING: other processes used > 0.2 cores during {', '.join(noisy)}: "
            "those numbers are low; rerun on a quiet machine"
        )
        culprits: dict[str, float] = {}
        for r in phases.values():
            for n in ENDPOINTS:
                for title, cores in r[n].get("other_top", []):
                    culprits[title] = max(culprits.get(title, 0.0), cores)
        for title, cores in sorted(culprits.items(), key=lambda kv: -kv[1])[:3]:
            print(f"  up to {cores:.2f} cores: {title}")
    print()
    for workers, g in goal_table.items():
        ratios = [
            f"{LABELS[ours][:3]}/{LABELS[reference][:3]} {name} = {g[name]['value']:.2f} "
            f"(goal >= {least}) {'PASS' if g[name]['pass'] else 'MISS'}"
            for name, ours, reference, least in RATIO_GOALS
        ]
        p99s = ", ".join(
            f"{n} {'PASS' if v['pass'] else 'MISS'}" for n, v in g["p99_under_100ms"].items()
        )
        print(f"workers={workers}: " + ";  ".join(ratios) + f";  p99 < 100 ms: {p99s}")
    for workers, g in goal_table.items():
        if g["audit_log"]:
            print(
                f"workers={workers}: with / without the audit log sequencing and signing every "
                f"second ({AUDIT_LOG_ROUNDS} alternating rounds): "
                + ";  ".join(
                    f"{endpoint} {v['value']:.2f} (goal >= {AUDIT_LOG_LEAST}) "
                    f"{'PASS' if v['pass'] else 'MISS'}, server CPU "
                    f"{v['server_cpu_ms_per_request']['with']} vs "
                    f"{v['server_cpu_ms_per_request']['without']} ms/request"
                    for endpoint, v in g["audit_log"].items()
                )
            )
    for workers, r in phases.items():
        s = r["submit"]
        print(
            f"workers={workers}: submit non-2xx = {s['non_2xx']} of {s['requests']} "
            f"({s['drafts_prepared']} drafts prepared, ids exhausted {s['ids_exhausted']} "
            f"times, {s['drafts_submitted_in_db']} submitted in the database); "
            f"socket errors: "
            + ", ".join(f"{n} {r[n]['socket_errors']}" for n in ENDPOINTS)
            + f"; 500s/tracebacks in the server log: {r.get('server_log_errors')}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="untimed wrk seconds before each endpoint (0 = none)",
    )
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--pool-size", type=int, default=16)
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="before each endpoint, wait up to this many seconds for the "
        "machine to be < 25%% busy (0 = do not wait)",
    )
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without a database name",
    )
    parser.add_argument("--database", default="loket_bench")
    parser.add_argument(
        "--base-rows",
        type=int,
        default=10_000,
        help="realistic applications seeded into the API database first",
    )
    parser.add_argument(
        "--skip-seed-bench",
        action="store_true",
        help="skip the 10k/1M queue benchmark (bench/queue_bench.py)",
    )
    parser.add_argument("--seed-small", type=int, default=10_000)
    parser.add_argument("--seed-large", type=int, default=1_000_000)
    parser.add_argument("--queue-requests", type=int, default=200)
    parser.add_argument("--keep-databases", action="store_true")
    args = parser.parse_args(argv)
    if "@127.0.0.1" not in args.pg and "@localhost" not in args.pg:
        parser.error("--pg must point at a local server (127.0.0.1)")
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]

    benchlib.install_signal_handlers()
    import app.main  # noqa: F401  (fail fast, before any set-up, if the app does not import)

    benchlib.ensure_wrk()
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    report: dict = {
        "started_at": datetime.now(UTC).isoformat(),
        "command": " ".join(sys.argv),
        "settings": {k: v for k, v in vars(args).items()},
        "machine": {"cpus": benchlib.os.cpu_count()},
        "versions": benchlib.package_versions(),
    }
    out = BENCH / "results" / f"api-{stamp}.json"
    exit_code = 0
    try:
        with tempfile.TemporaryDirectory(prefix="loket-api-bench-") as tmp:
            workdir = Path(tmp)
            data_dir = workdir / "data"
            log(f"setting up database {args.database}")
            url, users = setup_database(args.pg, args.database, data_dir, args.base_rows)
            report["machine"]["postgres"] = benchlib.postgres_version(seed.psycopg_url(url))
            load = Loader(args, workdir)
            phases: dict[str, dict] = {}
            report["api"] = phases
            for workers in worker_counts:
                log(f"workers={workers}: ceiling (bare FastAPI)")
                phase = run_ceiling(args, url, workers, workdir, load)
                log(f"workers={workers}: naive reference")
                phase["naive"] = run_naive(args, url, workers, workdir, load)
                log(f"workers={workers}: loket serve")
                phase |= run_loket(args, url, users, data_dir, workers, workdir, load)
                phases[str(workers)] = phase
            report["api_goals"] = goals(phases)
            print_report(phases, report["api_goals"], args)
            if not args.keep_databases:
                benchlib.drop_database(args.pg, args.database)
        if not args.skip_seed_bench:
            import queue_bench

            log(
                "seed benchmark: officer queue at "
                f"{args.seed_small} and {args.seed_large} applications"
            )
            report["queue"] = queue_bench.run(
                args.pg,
                small=args.seed_small,
                large=args.seed_large,
                requests=args.queue_requests,
                keep_database=args.keep_databases,
            )
    except BaseException:
        exit_code = 1
        raise
    finally:
        report["elapsed_s"] = round(time.perf_counter() - started, 1)
        report["completed"] = exit_code == 0
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, indent=2, default=str))
        log(f"results: {out} ({report['elapsed_s']} s)")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
