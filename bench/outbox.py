#!/usr/bin/env python
"""Outbox costs on PostgreSQL: what queueing adds to a transition, and deliveries per second.

    .venv/bin/python bench/outbox.py [--transitions 500] [--messages 3000]

1. Latency: recreates ``loket_bench_outbox``, runs the migrations, loads bench/catalogue.yaml,
   creates a citizen and 50 drafts (bench/seed.py's ``insert_drafts``). Then, ``--transitions``
   times per scenario, one transaction that loads the case (and the applicant and service, as
   a transition does) and times ``app.cases.timeline.append`` of a public event
   (``application.submitted``), alternately WITH ``app.cases.publishing.publish`` and WITHOUT
   (the hook replaced by a no-op), so that drift hits both sides alike. The time spent inside
   ``publish`` itself is also recorded. Scenarios: no subscription and no e-mail
   (the common case: one SELECT, no INSERT), and three subscriptions of which two match plus
   e-mail on (one SELECT, one 3-row INSERT).
2. Throughput: a receiver (uvicorn, a bare ASGI app answering 204) on 127.0.0.1, one
   subscription, ``--messages`` due webhook messages; delivered by 1 and 2 dispatcher threads in
   this process, then by 1 and 2 ``loket worker`` processes. Rate = messages / (last sent_at -
   first sent_at), so start-up and polling delays do not count.

Prints the figures and writes bench/results/outbox-<ts>.json. PostgreSQL, the receiver and the
dispatchers share this machine's cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
if str(BENCH.parent) not in sys.path:
    sys.path.insert(1, str(BENCH.parent))

import benchlib  # noqa: E402
import httpx  # noqa: E402
import seed  # noqa: E402
from benchlib import ManagedProcess, clean_env, free_port, log, percentile  # noqa: E402
from sqlalchemy import delete, func, insert, select  # noqa: E402

from app import case_types  # noqa: E402
from app.cases import publishing, timeline  # noqa: E402
from app.cases.timeline import EventDraft  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import build_engine, transaction  # noqa: E402
from app.models import (  # noqa: E402
    Application,
    Case,
    OAuthClient,
    OutboxMessage,
    Service,
    User,
    WebhookSubscription,
)
from app.models.base import utcnow  # noqa: E402
from app.notifications import outbox  # noqa: E402
from app.notifications.dispatcher import Dispatcher  # noqa: E402
from app.notifications.webhooks import new_secret  # noqa: E402

DATABASE = "loket_bench_outbox"
DRAFTS = 50
RECEIVER_APP = """
async def app(scope, receive, send):
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
"""


def _settings(url: str, data_dir: Path, **extra) -> Settings:
    return Settings(
        database_url=url,
        data_dir=data_dir,
        password_time_cost=1,
        password_memory_kib=1024,
        webhook_allowed_private=["127.0.0.1"],
        embedded_dispatcher=False,
        _env_file=None,
        **extra,
    )


def _citizen(engine, settings: Settings) -> str:
    from app.accounts.passwords import PasswordHasher
    from app.accounts.service import create_user

    with transaction(engine) as session:
        user = create_user(
            session,
            passwords=PasswordHasher(time_cost=1, memory_kib=1024),
            email="warga@bench.loket.test",
            password="bench-password-123",
            full_name="Warga Bench",
            role="citizen",
            nik="3171011503900001",
        )
    return str(user.id)


def _subscribe(engine, url: str, patterns: list[str]) -> None:
    with transaction(engine) as session:
        client = OAuthClient(
            client_id=f"bench-{uuid.uuid4().hex[:8]}",
            name="Bench",
            secret_hash="-",
            scopes="applications:read",
        )
        session.add(client)
        session.flush()
        session.add(
            WebhookSubscription(
                client_id=client.id, url=url, event_types=patterns, secret=new_secret()
            )
        )


def _one_append(engine, case_id: str, actor: str) -> float:
    """Seconds spent in timeline.append for one public event, inside a real transaction."""
    with transaction(engine) as session:
        case = session.get(Case, uuid.UUID(case_id))
        application = session.get(Application, case.id)
        # Held, as a transition holds them (the caller, the service): the identity map is weak.
        loaded = (
            session.get(User, case.owner_id),
            session.get(Service, application.service_id),
        )
        started = time.perf_counter()
        timeline.append(
            session,
            case=case,
            draft=EventDraft(
                "application.submitted", "user", actor, from_state="submitted", to_state="submitted"
            ),
        )
        elapsed = time.perf_counter() - started
        del loaded
        return elapsed


def _latency(engine, drafts: list[str], actor: str, *, count: int) -> dict:
    real = publishing.publish
    inner: list[float] = []

    def timed(session, **kwargs):
        started = time.perf_counter()
        queued = real(session, **kwargs)
        inner.append(time.perf_counter() - started)
        return queued

    samples: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for i in range(count * 2):
            side = "with" if i % 2 == 0 else "without"
            # timeline.append calls publishing.publish through the module, so this reaches it.
            publishing.publish = timed if side == "with" else (lambda *_a, **_k: 0)
            samples[side].append(_one_append(engine, drafts[i % len(drafts)], actor))
    finally:
        publishing.publish = real
    return {side: _summary(values) for side, values in samples.items()} | {
        "publish_itself": _summary(inner),
        "added_median_ms": round(
            (statistics.median(samples["with"]) - statistics.median(samples["without"])) * 1e3, 3
        ),
    }


def _summary(values: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(values) * 1e3, 3),
        "p90_ms": round(percentile(values, 90) * 1e3, 3),
        "p99_ms": round(percentile(values, 99) * 1e3, 3),
        "n": len(values),
    }


def _messages(engine, count: int) -> None:
    with transaction(engine) as session:
        session.execute(delete(OutboxMessage))
        subscription_id = session.execute(select(WebhookSubscription.id)).scalars().first()
        payload = {
            "type": "application.submitted",
            "timestamp": "2026-11-28T10:00:00.000Z",
            "data": {
                "application_id": str(uuid.uuid4()),
                "reference": "IUMK-2026-000001",
                "service_code": "IUMK",
                "department_code": "DPMPTSP",
                "state": "submitted",
                "from_state": "draft",
                "sequence": 2,
            },
        }
        now = utcnow()
        session.execute(
            insert(OutboxMessage),
            [
                {
                    "id": uuid.uuid4(),
                    "kind": "webhook",
                    "subscription_id": subscription_id,
                    "event_type": "application.submitted",
                    "payload": payload,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for _ in range(count)
            ],
        )


def _rate(engine, count: int, *, timeout: float = 600) -> dict:
    """Wait until every message is sent; the rate from the first to the last sent_at."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with transaction(engine, write=False) as session:
            sent, first, last = session.execute(
                select(
                    func.count(), func.min(OutboxMessage.sent_at), func.max(OutboxMessage.sent_at)
                ).where(OutboxMessage.status == "sent")
            ).one()
        if sent == count:
            seconds = (last - first).total_seconds()
            return {
                "messages": count,
                "seconds": round(seconds, 2),
                "per_second": round((count - 1) / seconds, 1),
            }
        time.sleep(0.2)
    raise RuntimeError(f"only {sent} of {count} messages sent")


def _with_threads(engine, settings: Settings, *, threads: int, count: int) -> dict:
    _messages(engine, count)
    benchlib.wait_for_quiet(20)

    def work() -> None:
        dispatcher = Dispatcher(engine, settings)
        while dispatcher.run_once(batch=50):
            pass

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return _rate(engine, count)


def _with_processes(engine, url: str, data_dir: Path, *, processes: int, count: int) -> dict:
    env = clean_env(
        LOKET_DATABASE_URL=url,
        LOKET_DATA_DIR=str(data_dir),
        LOKET_WEBHOOK_ALLOWED_PRIVATE='["127.0.0.1"]',
        LOKET_DB_POOL_SIZE="2",
        LOKET_DB_WORK_THREADS="1",  # a worker serves no requests; the pool must fit them
    )
    workers = [
        ManagedProcess(
            f"worker{i}",
            [str(benchlib.VENV_BIN / "loket"), "worker"],
            env=env,
            cwd=benchlib.ROOT,
            log_path=data_dir / f"worker{i}.log",
        )
        for i in range(processes)
    ]
    try:
        time.sleep(3)  # imports done, polling idle
        benchlib.wait_for_quiet(20)
        _messages(engine, count)
        return _rate(engine, count)
    finally:
        for worker in workers:
            worker.stop()


def _receiver(directory: Path) -> tuple[ManagedProcess, str]:
    (directory / "bench_receiver.py").write_text(RECEIVER_APP)
    port = free_port()
    process = ManagedProcess(
        "receiver",
        [
            str(benchlib.VENV_BIN / "uvicorn"),
            "bench_receiver:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=clean_env(),
        cwd=directory,
        log_path=directory / "receiver.log",
    )
    for _ in range(100):
        try:
            httpx.post(f"http://127.0.0.1:{port}/", content=b"{}", timeout=1)
            return process, f"http://127.0.0.1:{port}/hook"
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("receiver did not start")


def _run(args, directory: Path) -> dict:
    url = benchlib.recreate_database(args.server_url, DATABASE)
    seed.prepare_schema(url)
    case_types.install()  # as build_runtime does: the kernel learns what an application is
    settings = _settings(url, directory)
    engine = build_engine(settings)
    actor = _citizen(engine, settings)
    drafts = seed.insert_drafts(
        url,
        owner_id=actor,
        service_code="IUMK",
        data={"business_name": "Warung Bench", "employees": 2},
        count=DRAFTS,
    )
    report: dict = {"postgres": benchlib.postgres_version(url), "latency": {}, "throughput": {}}
    outbox.configure(engine, settings=settings)
    log("latency: no subscription, no e-mail")
    report["latency"]["no_subscription"] = _latency(engine, drafts, actor, count=args.transitions)
    receiver, hook_url = _receiver(directory)
    try:
        for patterns in (["application.*"], ["*"], ["certificate.*"]):
            _subscribe(engine, hook_url, patterns)
        outbox.configure(engine, settings=_settings(url, directory, smtp_host="127.0.0.1"))
        log("latency: 3 subscriptions (2 match) and e-mail")
        report["latency"]["two_webhooks_and_email"] = _latency(
            engine, drafts, actor, count=args.transitions
        )
        report["throughput"] = _throughput(engine, settings, url, directory, args.messages)
    finally:
        receiver.stop()
        engine.dispose()
    return report


def _throughput(engine, settings: Settings, url: str, directory: Path, count: int) -> dict:
    runs: dict[str, Callable[[], dict]] = {
        "1 thread": lambda: _with_threads(engine, settings, threads=1, count=count),
        "2 threads": lambda: _with_threads(engine, settings, threads=2, count=count),
        "1 process": lambda: _with_processes(engine, url, directory, processes=1, count=count),
        "2 processes": lambda: _with_processes(engine, url, directory, processes=2, count=count),
    }
    results = {}
    for name, run in runs.items():
        log(f"throughput: {name}")
        results[name] = run()
    return results


def _print(report: dict) -> None:
    print("\npublishing.publish on a transition (timeline.append, PostgreSQL)")
    print(
        f"  {'scenario':<26} {'with':>10} {'without':>10} {'added':>8} {'publish':>9}"
        f" {'p90 with':>9}"
    )
    for name, row in report["latency"].items():
        with_, without = row["with"]["median_ms"], row["without"]["median_ms"]
        print(
            f"  {name:<26} {with_:>8.3f}ms {without:>8.3f}ms {row['added_median_ms']:>6.3f}ms"
            f" {row['publish_itself']['median_ms']:>7.3f}ms {row['with']['p90_ms']:>7.3f}ms"
        )
    print("\nwebhook deliveries to a local receiver")
    for name, row in report["throughput"].items():
        print(
            f"  {name:<12} {row['per_second']:>8.1f} /s  ({row['messages']} in {row['seconds']} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--transitions", type=int, default=500)
    parser.add_argument("--messages", type=int, default=3000)
    args = parser.parse_args()
    benchlib.install_signal_handlers()
    with tempfile.TemporaryDirectory(prefix="loket-outbox-bench-") as tmp:
        try:
            report = _run(args, Path(tmp))
        finally:
            benchlib.drop_database(args.server_url, DATABASE)
    _print(report)
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    path = results / f"outbox-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
