"""Work done on a clock in the background, by whoever delivers the outbox: the embedded
server's dispatcher thread (SQLite default) or each ``loket worker`` process (production).

One list for every periodic duty (recovering certificates whose file a crash lost, removing
files a crash left half-received, the audit log's checkpoints, the deadline sweep), each safe
to run in several processes at once: a job claims what it works on in the database, so two
workers never do the same item twice. A failing job is logged and tried again at its next
turn; it never stops the others.

Each run logs one line (app/logs.py) like a request's: its own id, the job, ok or failed, its
duration, and how many items it handled where the job says.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app import logs
from app.audit import service as audit
from app.cases.sweep import SweepReport, sweep
from app.certificates.service import store_unstored
from app.db import transaction
from app.models.base import utcnow
from app.runtime import Runtime

log = logging.getLogger("loket.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]


def background_jobs(runtime: Runtime, *, now: Callable[[], datetime] = utcnow) -> list[Job]:
    """The process's periodic duties; ``now`` is the deadline sweep's clock."""
    return [
        # Warnings, escalations and deemed approvals whose time has come (app.cases.sweep).
        Job(
            "deadline sweep",
            60,
            lambda: sweep(
                runtime.engine,
                now=now(),
                env=lambda: runtime.certificates,
                batch=runtime.settings.sla_sweep_batch,
            ),
        ),
        # Building the issuer costs seconds: only when a certificate is actually waiting.
        Job(
            "certificate files",
            60,
            lambda: store_unstored(runtime.engine, lambda: runtime.certificates),
        ),
        Job(
            "half-received files",
            600,
            lambda: runtime.files.sweep_temp(older_than_seconds=3600),
        ),
        Job(
            "audit checkpoint",
            runtime.settings.audit_checkpoint_minutes * 60,
            lambda: _checkpoint(runtime),
        ),
    ]


def _checkpoint(runtime: Runtime) -> None:
    with transaction(runtime.engine) as session:
        audit.checkpoint(session, settings=runtime.settings)


class Schedule:
    """Runs each job when its turn has come (the first turn at once)."""

    def __init__(self, jobs: list[Job], *, clock: Callable[[], float] = time.monotonic) -> None:
        self.jobs, self.clock = jobs, clock
        self._next = {job.name: 0.0 for job in jobs}

    def run_due(self) -> None:
        for job in self.jobs:
            if self.clock() < self._next[job.name]:
                continue
            run_job(job)
            self._next[job.name] = self.clock() + job.every_seconds


def run_job(job: Job) -> None:
    """Run ``job`` once under its own id, and log its line; a failure is logged, not raised."""
    with logs.job_context():
        started = time.perf_counter()
        fields: dict[str, Any] = {"job": job.name}
        try:
            result = job.run()
        except Exception:  # the database restarting, say: try again at the next turn
            fields.update(status="failed", duration_ms=_ms_since(started))
            log.exception("background job %r failed", job.name, extra=fields)
            return
        fields.update(status="ok", duration_ms=_ms_since(started), **_counts(result))
        log.info("background job %r done", job.name, extra=fields)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _counts(result: object) -> dict[str, int]:
    if isinstance(result, SweepReport):
        return {"items": len(result.items), "failed": result.failed}
    if isinstance(result, int) and not isinstance(result, bool):
        return {"items": result}
    return {}
