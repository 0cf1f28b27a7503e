"""Fixed-window rate limits kept in the database, so every process counts against one limit."""

from __future__ import annotations

import time

from app.db import Engine, Session, committed_on_its_own
from app.errors import Msg, TooManyRequests
from app.ratelimit import repository


def hit(
    session: Session, *, key: str, limit: int, window_seconds: int = 60, now: float | None = None
) -> None:
    """Count one request for ``key``; 429 with Retry-After once the window's limit is passed."""
    moment = time.time() if now is None else now
    window = int(moment // window_seconds * window_seconds)
    if repository.count_hit(session, key=key[:96], window=window) > limit:
        retry = max(1, int(window + window_seconds - moment))
        raise TooManyRequests(
            Msg(
                f"Terlalu banyak permintaan; coba lagi dalam {retry} detik",
                f"Too many requests; try again in {retry} seconds",
            ),
            headers={"Retry-After": str(retry)},
        )


def hit_on_its_own(engine: Engine, *, key: str, limit: int, window_seconds: int = 60) -> None:
    """Count a request in its own committed transaction, so refused or failed requests count
    too; call it before the request's own transaction has touched the database."""
    with committed_on_its_own(engine) as session:
        hit(session, key=key, limit=limit, window_seconds=window_seconds)
