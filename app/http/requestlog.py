"""Each answered request's log line, and its metrics: what ``HttpFront`` observes.

The line names the route template (``/api/v1/applications/{application_id}``), never the
path or the query, which may hold a NIK or a token; and the actor by id (``logs.note_actor``).
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from app import logs
from app.http import metrics

log = logging.getLogger("loket.requests")


def observe(scope: MutableMapping[str, Any], status: int, seconds: float) -> None:
    metrics.record_request(scope, status, seconds)
    log_request(scope, status, seconds)


def log_request(scope: MutableMapping[str, Any], status: int, seconds: float) -> None:
    """One line per request, at error level for a server error."""
    if not log.isEnabledFor(logging.INFO):
        return
    route = metrics.route_template(scope)
    method = scope["method"] if scope["method"] in metrics.METHODS else "other"
    context = logs.current()
    log.log(
        logging.ERROR if status >= 500 else logging.INFO,
        "%s %s %d",
        method,
        route,
        status,
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "actor_id": context.actor_id if context else None,
        },
    )
