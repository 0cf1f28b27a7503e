"""GET /metrics in the Prometheus text format, and the per-request measurement behind it.

Who may read it: a scraper on the same machine (a loopback peer, with no forwarding header: a
proxy on the same machine that forwards the world's requests is not "the same machine"), and
anyone else only with ``Authorization: Bearer <LOKET_METRICS_TOKEN>``. Everyone else gets the
same 404 as an unknown path, so the endpoint's existence tells nothing.

What it holds: whatever the processes counted (``app.metrics.instruments``; added up over every
worker of `loket serve` through the multiprocess directory), and gauges read from the database
at scrape time, which therefore cover every machine and the `loket worker` processes too.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.cases import repository as cases_repository
from app.cases.kinds import registered
from app.db import transaction, watch_pool
from app.metrics import multiprocess_dir
from app.metrics.instruments import DB_POOL_IN_USE, DB_POOL_SIZE, REQUEST_SECONDS
from app.notifications import repository as outbox_repository
from app.office import today
from app.workflow.definitions import get_workflow, states_where

if TYPE_CHECKING:
    from app.runtime import Runtime

# Requests that are not measured: the probes come every few seconds and do nothing (and
# /healthz must stay as cheap as a bare app's), and a scrape would measure itself.
UNTIMED = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED = "<unmatched>"  # no route: one label for every unknown path, however many
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OUTBOX_KINDS = ("webhook", "email")
FORWARDING_HEADERS = frozenset({b"forwarded", b"x-forwarded-for", b"x-real-ip"})
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db$")

_children: dict[tuple[str, str, int], Any] = {}


def record_request(scope: MutableMapping[str, Any], status: int, seconds: float) -> None:
    """Count one request under its route template (never its path: ids would make a series
    each) and observe its duration."""
    template = route_template(scope)
    method = scope["method"] if scope["method"] in METHODS else "other"
    key = (method, template, status)
    child = _children.get(key)
    if child is None:  # labels() takes a lock on every call; the children are few
        child = _children[key] = REQUEST_SECONDS.labels(method, template, str(status))
    child.observe(seconds)


def route_template(scope: MutableMapping[str, Any]) -> str:
    """The matched route's path with its prefixes, e.g. ``/api/v1/applications/{application_id}``.

    FastAPI keeps included routers nested (main.py); the route in the scope knows only its own
    path, the effective route context the whole one."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    if path:
        return path
    if "endpoint" in scope:  # a mounted app (/static): its mount point
        return f"{scope.get('root_path', '')}/{{path}}"
    return UNMATCHED


def watch(runtime: Runtime) -> None:
    """Keep the pool gauges of this process up to date."""

    def report(in_use: int, size: int) -> None:
        DB_POOL_IN_USE.set(in_use)
        DB_POOL_SIZE.set(size)

    watch_pool(runtime.engine, report)


def metrics_route(runtime: Runtime):
    """The endpoint of GET /metrics."""

    async def metrics(request: Request) -> Response:
        if not _may_read(request, runtime):
            raise StarletteHTTPException(404)
        body = await run_in_threadpool(exposition, runtime)
        return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return metrics


def _may_read(request: Request, runtime: Runtime) -> bool:
    token = runtime.settings.metrics_token
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.get_secret_value().encode()
        ):
            return True
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
    return loopback and not any(name in FORWARDING_HEADERS for name, _ in request.scope["headers"])


def exposition(runtime: Runtime) -> bytes:
    """Every process's counters (one process's, outside `loket serve`) and the database's
    gauges, in the text format."""
    directory = multiprocess_dir()
    if directory is None:
        counted = generate_latest(REGISTRY)
    else:
        _forget_dead_processes(directory)
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry, path=str(directory))
        counted = generate_latest(registry)
    database = CollectorRegistry()
    database.register(DatabaseCollector(runtime))
    return counted + generate_latest(database)


def _forget_dead_processes(directory: Path) -> None:
    """Drop the pool gauges of worker processes that have gone (uvicorn restarts a worker that
    dies; its counters stay, its connections no longer exist)."""
    for path in directory.glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.search(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            prometheus_multiprocess.mark_process_dead(pid, str(directory))
        except PermissionError:
            pass  # alive, someone else's


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time: the outbox and the SLA."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("loket_database_up", "Whether the scrape could read the database")
        try:
            families = list(self._read())
        except Exception:  # the scrape still answers, with the processes' own metrics
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> Iterator[GaugeMetricFamily]:
        with transaction(self.runtime.engine, write=False) as session:
            backlog = outbox_repository.backlog(session)
            overdue = cases_repository.overdue_by_department(
                session, running=_running_states(), today=today()
            )
        pending = GaugeMetricFamily(
            "loket_outbox_pending_messages", "Outbox messages waiting for delivery", labels=["kind"]
        )
        dead = GaugeMetricFamily(
            "loket_outbox_dead_messages",
            "Outbox messages given up on after every attempt (loket outbox dead)",
            labels=["kind"],
        )
        counts = {(status, kind): count for status, kind, count, _ in backlog}
        for kind in OUTBOX_KINDS:
            pending.add_metric([kind], counts.get(("pending", kind), 0))
            dead.add_metric([kind], counts.get(("dead", kind), 0))
        oldest = [_aware(first) for status, _, _, first in backlog if status == "pending"]
        age = GaugeMetricFamily(
            "loket_outbox_oldest_pending_age_seconds",
            "Age of the oldest message waiting for delivery (0 when none waits)",
        )
        age.add_metric([], (datetime.now(UTC) - min(oldest)).total_seconds() if oldest else 0)
        cases = GaugeMetricFamily(
            "loket_cases_overdue",
            "Cases past their due working day while the office holds them, per department",
            labels=["department"],
        )
        for code, count in sorted(overdue.items()):
            cases.add_metric([code], count)
        yield from (pending, age, dead, cases)


def _running_states() -> dict[str, tuple[str, ...]]:
    names = {name for kind in registered() for name in kind.workflows}
    return {name: states_where([get_workflow(name)], clock="runs") for name in sorted(names)}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
