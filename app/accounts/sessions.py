"""Server-side web sessions: the cookie carries a random token, the database its hash.

Every process sees the same sessions (they live in the database), logout and disabling an
account end them on the server, and the id changes at login so that a cookie planted before
login is worthless after it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.accounts import devices, repository
from app.accounts import service as accounts
from app.accounts.passwords import PasswordHasher
from app.accounts.principal import Principal
from app.accounts.schemas import RegisterRequest
from app.config import Settings
from app.db import Session, committed_on_its_own
from app.models import User, WebSession
from app.models.base import utcnow

if TYPE_CHECKING:  # the process's objects; only their type is needed here
    from app.runtime import Runtime

PLAIN_COOKIE = "loket_session"
# Browsers accept a __Host- cookie only with Secure, Path=/ and no Domain: it cannot be set or
# shadowed by a sibling subdomain.
HOST_COOKIE = "__Host-loket_session"
# An anonymous session only carries the CSRF token of the login and registration forms.
ANONYMOUS_LIFETIME = timedelta(hours=2)
# last_seen_at is written at most this often, so that reading pages does not write every time.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class ActiveSession:
    token: str
    record: WebSession
    user: User | None
    # Set at sign-in: the browser's device token, for its long-lived cookie.
    device_token: str | None = None


def cookie_name(settings: Settings) -> str:
    return HOST_COOKIE if settings.secure_cookies else PLAIN_COOKIE


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load(session: Session, settings: Settings, token: str | None) -> ActiveSession | None:
    """The live session behind a cookie; expired or orphaned sessions are deleted on sight."""
    if not token or len(token) > 128:
        return None
    record = repository.web_session(session, token_hash(token))
    if record is None:
        return None
    now = utcnow()
    user = repository.user_by_id(session, record.user_id) if record.user_id else None
    if _expired(record, settings, now) or (record.user_id and not (user and user.is_active)):
        repository.delete_web_session(session, record)
        return None
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        record.last_seen_at = now
        repository.save_web_session(session, record)
    return ActiveSession(token=token, record=record, user=user)


def _expired(record: WebSession, settings: Settings, now: datetime) -> bool:
    idle = timedelta(minutes=settings.session_idle_minutes)
    return now >= record.expires_at or now - record.last_seen_at >= idle


def start(
    session: Session, settings: Settings, *, user: User | None, replacing: str | None = None
) -> ActiveSession:
    """A new session (anonymous, or signed in as ``user``), ending the one it replaces."""
    if replacing:
        end(session, replacing)
    now = utcnow()
    lifetime = timedelta(hours=settings.session_absolute_hours) if user else ANONYMOUS_LIFETIME
    token = secrets.token_urlsafe(32)
    record = WebSession(
        token_hash=token_hash(token),
        user_id=user.id if user else None,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    repository.insert_web_session(session, record)
    return ActiveSession(token=token, record=record, user=user)


def end(session: Session, token: str) -> None:
    """End the session behind a cookie (sign out)."""
    repository.delete_web_session_by_hash(session, token_hash(token))


def end_all_for(session: Session, user_id: uuid.UUID) -> int:
    """End every session of an account (it was disabled or its password changed)."""
    return repository.delete_web_sessions_of(session, user_id)


def purge_expired(session: Session) -> int:
    """Delete sessions past their absolute end (idle ones go when next seen, or here later)."""
    return repository.delete_expired_web_sessions(session, now=utcnow())


def sign_in(
    runtime: Runtime,
    *,
    email: str,
    password: str,
    ip: str | None,
    replacing: str | None,
    device_token: str | None = None,
) -> ActiveSession | None:
    """Check a login and start the signed-in session in place of ``replacing``; None if refused.

    Its own transaction, like the password grant: a failed attempt must be counted (committed)
    although the caller is refused. ``device_token`` is the browser's device cookie.
    """
    with committed_on_its_own(runtime.engine) as session:
        signed_in = accounts.authenticate(
            session,
            passwords=runtime.passwords,
            settings=runtime.settings,
            email=email,
            password=password,
            ip=ip,
            device_token=device_token,
        )
        if signed_in is None:
            return None
        purge_expired(session)
        active = start(session, runtime.settings, user=signed_in.user, replacing=replacing)
        return replace(active, device_token=signed_in.device_token)


def register_and_sign_in(
    session: Session,
    settings: Settings,
    *,
    passwords: PasswordHasher,
    request: RegisterRequest,
    replacing: str | None,
) -> ActiveSession:
    """Self-registration and the account's first session, in the caller's one transaction:
    both land or neither."""
    user = accounts.register_citizen(session, passwords=passwords, request=request)
    return start(session, settings, user=user, replacing=replacing)


def change_password(
    session: Session,
    settings: Settings,
    *,
    passwords: PasswordHasher,
    principal: Principal,
    current: str,
    new: str,
) -> ActiveSession:
    """A new password: every session of the account ends, and a new one starts for the caller;
    of the account's devices, only the caller's browser is known afterwards."""
    user = accounts.change_password(
        session, passwords=passwords, principal=principal, current=current, new=new
    )
    end_all_for(session, user.id)
    device_token = devices.remember(session, user=user, token=None, known=None)
    return replace(start(session, settings, user=user), device_token=device_token)
