"""Known devices: browsers and apps that signed in to an account before.

A successful sign-in gives the device a random token (the web login sets it as a long-lived
cookie, the password grant returns it as ``device_token`` for the app to send back in the
``Loket-Device`` header); the database keeps only its SHA-256, bound to the account. A later
sign-in that presents it is judged by the device's own failures, so that nobody else's, from
any number of addresses, can keep the owner out (app/accounts/throttle.py).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from app.accounts import repository
from app.config import Settings
from app.db import Session
from app.models import LoginDevice, User
from app.models.base import utcnow

PLAIN_COOKIE = "loket_device"
HOST_COOKIE = "__Host-loket_device"  # Secure, Path=/, no Domain: no subdomain can plant one
HEADER = "Loket-Device"
# Extended at every sign-in; browsers keep a cookie at most 400 days.
LIFETIME = timedelta(days=365)
# Enough for a person's browsers and phones; a browser that refuses cookies gets a new device
# at each sign-in, and this keeps those from piling up.
MAX_PER_ACCOUNT = 20
MAX_TOKEN_LENGTH = 128


def cookie_name(settings: Settings) -> str:
    return HOST_COOKIE if settings.secure_cookies else PLAIN_COOKIE


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def known_device(session: Session, *, token: str | None, user: User | None) -> str | None:
    """The hash of ``token`` when it is a live device of ``user``, else None.

    Looked up whoever the account is (an unknown e-mail too), so that the answer takes the same
    time; a device of another account is no device of this one.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    device = repository.login_device(session, token_hash(token))
    if device is None or user is None or device.user_id != user.id:
        return None
    return device.token_hash if device.expires_at > utcnow() else None


def remember(session: Session, *, user: User, token: str | None, known: str | None) -> str:
    """After a successful sign-in: the device's token, its life extended, or a new one."""
    now = utcnow()
    if token and known and (device := repository.login_device(session, known)):
        device.last_used_at, device.expires_at = now, now + LIFETIME
        repository.save_login_device(session, device)
        return token
    token = secrets.token_urlsafe(32)
    repository.insert_login_device(
        session,
        LoginDevice(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_used_at=now,
            expires_at=now + LIFETIME,
        ),
    )
    repository.forget_devices_beyond(session, user_id=user.id, keep=MAX_PER_ACCOUNT, now=now)
    return token


def forget_all(session: Session, *, user: User) -> None:
    """An account's devices are known no more (its password changed)."""
    repository.delete_login_devices_of(session, user.id)
