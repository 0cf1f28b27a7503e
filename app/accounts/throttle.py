"""Login throttling with progressive delay, stored in the database so every process shares it.

No hard lockout: a failure only makes later attempts wait (doubling each time, capped at
LOKET_LOGIN_MAX_DELAY_SECONDS), and a correct password after the wait works. What an attempt
is counted against depends on whether it comes from a device the account signed in with before
(app/accounts/devices.py), so that failures from elsewhere cannot keep the owner out:

- from a device it does not know, against the account and address pair (LOKET_LOGIN_FREE_FAILURES
  free), the address across every account (four times as many: credential stuffing; many
  residents share one carrier-grade NAT address), and the account from every address together
  (LOKET_LOGIN_ACCOUNT_FREE_FAILURES free: a botnet that spreads its guesses thinly);
- from a known device, against that device alone (LOKET_LOGIN_FREE_FAILURES free): a stolen
  device token still buys only a slow trickle of guesses.

The rows are keyed by the e-mail typed in, account or not, so an unknown account is throttled
exactly like a real one. A count is forgotten a day after its last failure.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.accounts import repository
from app.config import Settings
from app.db import Session
from app.errors import Msg, TooManyRequests
from app.metrics.instruments import LOGIN_FAILURES
from app.models.base import utcnow

IP_FREE_FAILURE_FACTOR = 4
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    """The rows one login attempt is judged by, each with the failures free before it waits."""

    free: dict[str, int]
    # What a successful sign-in wipes: the pair's or device's count, and (for a device that had
    # to pass it) the account's ceiling. Never the address's: one account an attacker owns must
    # not reset the address it stuffs others' credentials from; and never the ceiling on a known
    # device's success, or each of the owner's sign-ins would hand a botnet its free guesses again.
    cleared_by_success: tuple[str, ...]


def limits_for(
    *, email: str, ip: str | None, known_device: str | None, settings: Settings
) -> Limits:
    """The rows an attempt on ``email`` from ``ip`` counts against (``known_device``: the hash of
    a device token of this account's)."""
    free = settings.login_free_failures
    if known_device is not None:
        device = f"device:{known_device}"
        return Limits({device: free}, (device,))
    account = _digest(email.strip().lower())
    address = (ip or "")[:64]
    pair, ceiling = f"pair:{_digest(f'{account} {address}')}", f"account:{account}"
    rows = {pair: free, ceiling: settings.login_account_free_failures}
    if address:
        rows[f"ip:{address}"] = free * IP_FREE_FAILURE_FACTOR
    return Limits(rows, (pair, ceiling))


def reset_limits(*, email: str, ip: str | None, settings: Settings) -> Limits:
    """The rows a password-reset request counts against: the address typed (account or not,
    so that nobody can flood one inbox) and the network address (many times as many: a
    carrier-grade NAT). A request is never "successful": nothing clears them but time."""
    free = settings.password_reset_free_requests
    rows = {f"reset:{_digest(email.strip().lower())}": free}
    if ip:
        rows[f"reset-ip:{ip[:64]}"] = free * IP_FREE_FAILURE_FACTOR * 5
    return Limits(rows, ())


def ensure_allowed(session: Session, *, limits: Limits, now: datetime | None = None) -> None:
    """Refuse the attempt with 429 and Retry-After while any of its rows is still waiting."""
    now = now or utcnow()
    waits = [
        (row.next_attempt_at - now).total_seconds()
        for row in repository.throttles(session, limits.free)
        if row.next_attempt_at and row.next_attempt_at > now
    ]
    if waits:
        seconds = math.ceil(max(waits))
        raise TooManyRequests(
            Msg(f"Coba lagi dalam {seconds} detik", f"Try again in {seconds} seconds"),
            headers={"Retry-After": str(seconds)},
        )


def record_failure(session: Session, *, limits: Limits, settings: Settings) -> None:
    LOGIN_FAILURES.inc()
    record_request(session, limits=limits, settings=settings)


def record_request(session: Session, *, limits: Limits, settings: Settings) -> None:
    """Count an attempt against each row; past its free ones, the next attempt waits."""
    now = utcnow()
    for key, free in limits.free.items():
        failures = repository.count_login_failure(
            session, key=key, now=now, forget_before=now - FORGET_AFTER
        )
        delay = _delay(failures, free, settings.login_max_delay_seconds)
        if delay:
            repository.delay_login(session, key=key, until=now + delay)


def record_success(session: Session, *, limits: Limits) -> None:
    repository.delete_throttles(session, limits.cleared_by_success)


def _delay(failures: int, free: int, cap_seconds: int) -> timedelta:
    if failures < free:
        return timedelta(0)
    return timedelta(seconds=min(2 ** min(failures - free, 32), cap_seconds))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
