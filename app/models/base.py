"""Helpers shared by the table definitions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC now: the only kind of datetime Loket stores."""
    return datetime.now(UTC)


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()
