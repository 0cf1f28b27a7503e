"""Password reset by e-mail: a single-use link, short-lived, of which only a hash is kept.

Asking for a link answers the same whether the address has an account (the caller shows one
page either way) and is throttled per address typed and per network address. Using the link
sets a new password under the usual rules, ends every session and refresh token of the account
and forgets its devices, as a password change does; every other open link stops working.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from app.accounts import devices, repository, sessions, throttle
from app.accounts.passwords import PasswordHasher, password_problems
from app.config import Settings
from app.db import Session
from app.errors import DomainError, FieldError, Msg, ValidationFailed
from app.models import PasswordReset, User
from app.models.base import utcnow

TOKEN_BYTES = 32  # 256 bits: the link is the only secret


class ResetLinkInvalid(DomainError):
    status = 400
    slug = "reset-link-invalid"
    title = Msg(
        "Tautan ini sudah tidak berlaku: sudah dipakai, kedaluwarsa, atau tidak lengkap. "
        "Minta tautan baru.",
        "This link no longer works: it was used, it expired, or it is incomplete. "
        "Ask for a new one.",
    )


@dataclass(frozen=True)
class ResetIssued:
    """A link to send: to whom, its secret, and how many minutes it works."""

    user: User
    token: str
    minutes: int


def issue(
    session: Session, *, settings: Settings, email: str, ip: str | None
) -> ResetIssued | None:
    """A reset link for the active account behind ``email``, or None (no such account); the
    request counts against the throttle either way, and a throttled one raises 429."""
    limits = throttle.reset_limits(email=email, ip=ip, settings=settings)
    throttle.ensure_allowed(session, limits=limits)
    throttle.record_request(session, limits=limits, settings=settings)
    user = repository.user_by_email(session, email)
    if user is None or not user.is_active:
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    minutes = settings.password_reset_minutes
    repository.insert_password_reset(
        session,
        PasswordReset(
            token_hash=sessions.token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        ),
    )
    return ResetIssued(user=user, token=token, minutes=minutes)


def check(session: Session, *, token: str) -> None:
    """Raise ResetLinkInvalid unless ``token`` is a link that still works (before the form)."""
    _live(session, token)


def reset_password(session: Session, *, passwords: PasswordHasher, token: str, new: str) -> User:
    """Set the account's new password through a link, which then works no more."""
    record, user = _live(session, token)
    problems = password_problems(new, email=user.email, full_name=user.full_name)
    if problems:
        raise ValidationFailed(errors=[FieldError("new_password", p) for p in problems])
    now = utcnow()
    if not repository.use_password_reset(session, record.token_hash, now=now):
        raise ResetLinkInvalid()  # used a moment ago, in another tab
    user.password_hash = passwords.hash(new)
    user.must_change_password = False
    repository.save_user(session, user)
    repository.end_password_resets_of(session, user.id, now=now)
    repository.revoke_refresh_tokens(session, user_id=user.id)
    devices.forget_all(session, user=user)
    sessions.end_all_for(session, user.id)
    return user


def _live(session: Session, token: str) -> tuple[PasswordReset, User]:
    record = repository.password_reset(session, sessions.token_hash(token[:200]))
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        raise ResetLinkInvalid()
    user = repository.user_by_id(session, record.user_id)
    if user is None or not user.is_active:
        raise ResetLinkInvalid()
    return record, user
