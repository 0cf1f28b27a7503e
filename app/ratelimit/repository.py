"""The rate-limit counters: one row per key with its current window and count."""

from __future__ import annotations

from sqlalchemy import case
from sqlmodel import Session, col

from app.db import upsert
from app.models import RateLimit


def count_hit(session: Session, *, key: str, window: int) -> int:
    """Count one request for ``key`` in the window starting at ``window`` (a new window starts
    again at 1); returns the window's count, in one statement."""
    return upsert(
        session,
        RateLimit,
        {"key": key, "window_start": window, "count": 1},
        key=["key"],
        update={
            "count": case(
                (col(RateLimit.window_start) == window, col(RateLimit.count) + 1), else_=1
            ),
            "window_start": window,
        },
        returning=[col(RateLimit.count)],
    ).scalar_one()
