"""Login throttling with progressive delay, stored in the database so every process shares it.

No hard lockout: a failure only makes the next attempt wait (doubling each time, capped), so an
attacker cannot lock a citizen out for long, and a correct password after the wait works.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from app.accounts import repository
from app.config import Settings
from app.db import Session
from app.errors import Msg, TooManyRequests
from app.models import LoginThrottle
from app.models.base import utcnow

# Many residents share one carrier-grade NAT address, so an address gets more free failures.
IP_FREE_FAILURE_FACTOR = 4


def throttle_keys(*, email: str, ip: str | None) -> dict[str, int]:
    """The rows one login attempt counts against, with each row's free-failure factor."""
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    keys = {f"account:{account}": 1}
    if ip:
        keys[f"ip:{ip[:64]}"] = IP_FREE_FAILURE_FACTOR
    return keys


def ensure_allowed(session: Session, *, keys: dict[str, int], now: datetime | None = None) -> None:
    """Refuse the attempt with 429 and Retry-After while any of its rows is still waiting."""
    now = now or utcnow()
    waits = [
        (row.next_attempt_at - now).total_seconds()
        for key in keys
        if (row := repository.throttle(session, key))
        and row.next_attempt_at
        and row.next_attempt_at > now
    ]
    if waits:
        seconds = math.ceil(max(waits))
        raise TooManyRequests(
            Msg(f"Coba lagi dalam {seconds} detik", f"Try again in {seconds} seconds"),
            headers={"Retry-After": str(seconds)},
        )


def record_failure(session: Session, *, keys: dict[str, int], settings: Settings) -> None:
    now = utcnow()
    for key, factor in keys.items():
        row = repository.throttle(session, key) or LoginThrottle(key=key)
        row.failures += 1
        row.next_attempt_at = now + _delay(
            row.failures, settings.login_free_failures * factor, settings.login_max_delay_seconds
        )
        row.updated_at = now
        repository.save_throttle(session, row)


def record_success(session: Session, *, keys: dict[str, int]) -> None:
    """A successful login clears the account's row (the address keeps its count)."""
    for key in keys:
        if key.startswith("account:") and (row := repository.throttle(session, key)):
            repository.delete_throttle(session, row)


def _delay(failures: int, free: int, cap_seconds: int) -> timedelta:
    if failures < free:
        return timedelta(0)
    return timedelta(seconds=min(2 ** (failures - free), cap_seconds))
