"""Fixed-window rate limits kept in the database, so every process counts against one limit."""

from __future__ import annotations

import time

from sqlalchemy import Engine, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.db import transaction
from app.errors import Msg, TooManyRequests
from app.models import RateLimit


def hit(
    session: Session, *, key: str, limit: int, window_seconds: int = 60, now: float | None = None
) -> None:
    """Count one request for ``key``; 429 with Retry-After once the window's limit is passed."""
    moment = time.time() if now is None else now
    window = int(moment // window_seconds * window_seconds)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(RateLimit)
        .values(key=key[:96], window_start=window, count=1)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": case((RateLimit.window_start == window, RateLimit.count + 1), else_=1),
                "window_start": window,
            },
        )
        .returning(RateLimit.count)
    )
    if session.execute(statement).scalar_one() > limit:
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
    with transaction(engine) as session:
        hit(session, key=key, limit=limit, window_seconds=window_seconds)
