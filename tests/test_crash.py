"""Kill -9 the server while it approves, on PostgreSQL, and check what the crashes left.

Officers approve applications in a loop against a real ``loket serve``; the server is killed
at random moments and once while a lock holds an approval inside its transaction (its number
given, its certificate not yet inserted: the window in which main used to leave a genuinely
signed PDF behind for a number that was then given again). After a restart, the worker's jobs
catch up, and then: every stored file belongs to a committed record, nothing is half-written,
every approved application has its signed certificate, each verifies online, and
``loket audit verify`` is clean. Then each way of tampering with the database is tried on a
copy of what the crashes left, and verification names it.
"""

from __future__ import annotations

import collections
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.audit.service import checkpoint, verify_all
from app.certificates.service import store_unstored
from app.config import Settings
from app.db import build_engine, transaction
from app.models import Case, Certificate, Document
from app.models.base import utcnow
from tests.audit.tampering import STORY_STATES, TAMPERINGS
from tests.databases import drop_database, recreate_database
from tests.live import free_port

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

APPROVALS = 24
RANDOM_KILLS = 4
APPROVERS = 3
LOKET = Path(sys.executable).parent / "loket"


class Server:
    """One ``loket serve`` process on this test's database, started and killed at will."""

    def __init__(self, settings: Settings, directory: Path) -> None:
        self.settings, self.directory = settings, directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.up = threading.Event()

    def start(self) -> None:
        env = {
            **os.environ,
            "LOKET_DATABASE_URL": self.settings.effective_database_url,
            "LOKET_DATA_DIR": str(self.settings.data_dir),
            "LOKET_PUBLIC_BASE_URL": self.settings.public_base_url,
            "LOKET_PASSWORD_TIME_COST": "1",
            "LOKET_PASSWORD_MEMORY_KIB": "1024",
        }
        with open(self.directory / "server.log", "ab") as output:
            self.process = subprocess.Popen(
                [str(LOKET), "serve", "--port", str(self.port)],
                cwd=self.directory,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    self.up.set()
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"loket serve did not start: {self.log()}")

    def kill(self) -> None:
        self.up.clear()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log(self) -> str:
        return (self.directory / "server.log").read_text(errors="replace")[-3000:]


class Approvers:
    """Threads approving every waiting application through the server's API, again after each
    crash: a request cut off by a kill is tried again once the server is back."""

    def __init__(self, server: Server, headers: dict, waiting: list[dict]) -> None:
        self.server, self.headers = server, headers
        self.waiting = collections.deque(a["id"] for a in waiting)
        self.approved: set[str] = set()
        self.cut_off = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(APPROVERS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self, timeout: float) -> None:
        for thread in self.threads:
            thread.join(timeout)
        assert not any(t.is_alive() for t in self.threads), "approvals never finished"

    def _next(self) -> str | None:
        with self.lock:
            return self.waiting.popleft() if self.waiting else None

    def _run(self) -> None:
        with httpx.Client(timeout=60, headers=self.headers) as http:
            while (item := self._next()) is not None:
                self.server.up.wait(120)
                try:
                    self._approve(http, item)
                except httpx.TransportError:  # killed mid-request: the approval may have landed
                    with self.lock:
                        self.cut_off += 1
                        self.waiting.append(item)
                    time.sleep(0.2)

    def _approve(self, http: httpx.Client, application_id: str) -> None:
        """Start the review, then approve: whatever a crash left done is not done again."""
        base = f"{self.server.url}/api/v1/applications/{application_id}"
        while (current := _answer(http.get(base))).get("state") != "approved":
            action = "start_review" if current["state"] == "submitted" else "approve"
            _answer(http.post(f"{base}/transitions", json={"action": action, **_version(current)}))
        with self.lock:
            self.approved.add(application_id)

    @property
    def busy(self) -> bool:
        with self.lock:
            return bool(self.waiting) or any(t.is_alive() for t in self.threads)


def _answer(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def _version(application: dict) -> dict:
    return {"version": application["version"]}


def _kill_while_a_lock_holds_an_approval(server: Server, database_url: str) -> None:
    """Hold the certificates table so the next approval stops inside its transaction (its
    number taken, its certificate not inserted), then kill the server right there."""
    url = make_url(database_url).set(drivername="postgresql")
    name = url.database
    with psycopg.connect(url.render_as_string(hide_password=False)) as locker:
        locker.execute("LOCK TABLE certificates IN SHARE MODE")
        deadline = time.monotonic() + 30
        while not _a_certificate_waits_on_the_lock(locker, name):
            assert time.monotonic() < deadline, "no approval reached the lock"
            time.sleep(0.05)
        server.kill()
        locker.rollback()


def _a_certificate_waits_on_the_lock(locker: psycopg.Connection, database: str) -> bool:
    """An approval's insert of its certificate row waits (others may wait on its counter)."""
    with psycopg.connect(locker.info.dsn, autocommit=True) as probe:
        waiting = probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
            " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO certificates %%'",
            (database,),
        ).fetchone()
    return bool(waiting and waiting[0])


def _stored_keys(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.glob("??/*") if path.is_file()}


def test_crashes_during_approvals_leave_nothing_unissued(
    world, db, database_url, postgres_admin_url, tmp_path
):
    citizen, officer = world.user("citizen"), world.user("officer")
    story = {s: world.in_state(s, citizen=citizen, officer=officer) for s in STORY_STATES}
    waiting = [world.submitted(citizen) for _ in range(APPROVALS)]
    runtime, seed = world.runtime, random.randrange(2**32)
    pace = random.Random(seed)
    server = Server(runtime.settings, tmp_path)
    approvers = Approvers(server, world.headers(officer), waiting)
    try:
        server.start()
        approvers.start()
        _kill_while_a_lock_holds_an_approval(server, database_url)
        server.start()
        for _ in range(RANDOM_KILLS):
            time.sleep(pace.uniform(0.2, 1.5))
            if not approvers.busy:
                break
            server.kill()
            server.start()
        approvers.join(timeout=180)
    finally:
        server.kill()
    where = f"(seed {seed}; server log: {server.log()})"
    assert approvers.approved == {a["id"] for a in waiting}, where
    assert approvers.cut_off >= 1, f"no kill ever cut an approval off {where}"

    # What `loket worker` does when it comes back, without waiting for its clock.
    later = utcnow() + timedelta(minutes=1)
    store_unstored(runtime.engine, lambda: runtime.certificates, now=later)
    runtime.files.sweep_temp(older_than_seconds=0)

    with db() as session:
        certificates = session.execute(select(Certificate)).scalars().all()
        document_keys = set(session.execute(select(Document.storage_key)).scalars())
        approved = set(session.execute(select(Case.id).where(Case.state == "approved")).scalars())
    assert _stored_keys(runtime.files.root) == document_keys | {
        c.storage_key for c in certificates
    }, f"a stored file belongs to no committed record {where}"
    assert not list(runtime.files.tmp_dir.iterdir())
    assert {c.application_id for c in certificates} == approved
    for certificate in certificates:
        pdf = runtime.files.path(certificate.storage_key).read_bytes()
        assert certificate.stored_at is not None
        assert hashlib.sha256(pdf).hexdigest() == certificate.pdf_sha256
        answer = world.client.post("/api/v1/verify", files={"file": ("c.pdf", pdf)}).json()
        assert answer["authentic"] is True, (certificate.number, answer)

    settings = runtime.settings
    with db() as session:
        assert checkpoint(session, settings=settings) is not None
    with db() as session:
        assert verify_all(session, settings=settings).findings == [], where
    runtime.engine.dispose()
    _each_tampering_is_named_on_a_copy(settings, database_url, postgres_admin_url, story)


def _each_tampering_is_named_on_a_copy(
    settings: Settings, database_url: str, admin: str, story
) -> None:
    url = make_url(database_url)
    for name, tamper in TAMPERINGS.items():
        copy = f"loket_crash_copy_{uuid.uuid4().hex[:8]}"
        recreate_database(admin, copy, template=url.database)
        copied = settings.model_copy(
            update={"database_url": url.set(database=copy).render_as_string(hide_password=False)}
        )
        engine = build_engine(copied)
        try:
            with transaction(engine) as session:
                expected = tamper(session, story)
            with transaction(engine) as session:
                found = {(f.kind, f.where) for f in verify_all(session, settings=copied).findings}
            assert expected <= found, (name, found)
        finally:
            engine.dispose()
            drop_database(admin, copy)
