"""The metrics Loket's processes count as they work. Values read from the database at scrape
time (outbox depth, dead letters, overdue cases) are in ``app.http.metrics`` instead.

Names follow Prometheus' conventions: a ``loket_`` prefix, base units (seconds), ``_total`` on
counters. Labels stay few and bounded: a route is its template, never its path.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Latency buckets from a cached read (a few ms) to a certificate approval (seconds).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# One histogram per request: its _count is the request count, so no separate counter is kept
# (each value is one more shared-memory write on every request).
REQUEST_SECONDS = Histogram(
    "loket_http_request_duration_seconds",
    "HTTP requests by method, route template and status, and their duration",
    ("method", "route", "status"),
    buckets=REQUEST_BUCKETS,
)
# Each process's pool; "livesum" adds up the processes alive now.
DB_POOL_IN_USE = Gauge(
    "loket_db_pool_connections_in_use",
    "Database connections checked out of the pools",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "loket_db_pool_connections_max",
    "Database connections the pools may hold",
    multiprocess_mode="livesum",
)
CERTIFICATES_ISSUED = Counter(
    "loket_certificates_issued",
    "Certificates produced and signed, by how the page was laid out (fast or full)",
    ("path",),
)
for _path in ("fast", "full"):  # both series from the start, at 0
    CERTIFICATES_ISSUED.labels(_path)
CERTIFICATE_SIGNING_SECONDS = Histogram(
    "loket_certificate_signing_seconds",
    "Time to sign one certificate PDF (PAdES, with a timestamp when configured)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
LOGIN_FAILURES = Counter(
    "loket_login_failures",
    "Failed sign-ins (unknown account, wrong password, disabled account)",
)
