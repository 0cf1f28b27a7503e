"""Queries for accounts: users, departments, login throttles, known devices, web sessions,
password resets."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, delete, or_, update
from sqlmodel import Session, col, select

from app.db import rowcount, upsert
from app.models import (
    Department,
    KeptForm,
    LoginDevice,
    LoginThrottle,
    PasswordReset,
    RefreshToken,
    User,
    WebSession,
)
from app.models.base import utcnow

# Users


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(col(User.email) == email.strip().lower())).first()


def user_by_id(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def user_by_nik(session: Session, nik: str) -> User | None:
    return session.exec(select(User).where(col(User.nik) == nik)).first()


def insert_user(session: Session, user: User) -> None:
    """Insert in a savepoint: a unique-key race (IntegrityError) leaves the transaction usable."""
    with session.begin_nested():
        session.add(user)
        session.flush()


def save_user(session: Session, user: User) -> None:
    """Write the changes made to ``user`` (it may come from another session: a web session's)."""
    session.add(user)


def revoke_refresh_tokens(session: Session, *, user_id: uuid.UUID) -> None:
    """End every refresh-token family of an account (new password, account disabled)."""
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


# Departments


def department_by_code(session: Session, code: str) -> Department | None:
    return session.exec(select(Department).where(col(Department.code) == code)).first()


def department_by_id(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def insert_departments(session: Session, departments: Iterable[Department]) -> None:
    """Insert the departments and flush, so each has its id."""
    session.add_all(departments)
    session.flush()


# Login throttles


def throttles(session: Session, keys: Iterable[str]) -> list[LoginThrottle]:
    """The throttle rows among ``keys`` that exist, in one query."""
    query = select(LoginThrottle).where(col(LoginThrottle.key).in_(list(keys)))
    return list(session.exec(query).all())


def count_login_failure(
    session: Session, *, key: str, now: datetime, forget_before: datetime
) -> int:
    """Count one failure against ``key`` in one statement (concurrent failures all count);
    a count whose last failure is older than ``forget_before`` starts again. Returns it."""
    return upsert(
        session,
        LoginThrottle,
        {"key": key, "failures": 1, "next_attempt_at": None, "updated_at": now},
        key=["key"],
        update={
            "failures": case(
                (col(LoginThrottle.updated_at) < forget_before, 1),
                else_=col(LoginThrottle.failures) + 1,
            ),
            "updated_at": now,
        },
        returning=[col(LoginThrottle.failures)],
    ).scalar_one()


def delay_login(session: Session, *, key: str, until: datetime) -> None:
    """Make attempts counted against ``key`` wait until ``until`` (never shortening a wait)."""
    session.execute(
        update(LoginThrottle)
        .where(
            col(LoginThrottle.key) == key,
            or_(
                col(LoginThrottle.next_attempt_at).is_(None),
                col(LoginThrottle.next_attempt_at) < until,
            ),
        )
        .values(next_attempt_at=until)
    )


def delete_throttles(session: Session, keys: Iterable[str]) -> None:
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.key).in_(list(keys))))


# Known devices


def login_device(session: Session, token_hash: str) -> LoginDevice | None:
    return session.get(LoginDevice, token_hash)


def insert_login_device(session: Session, device: LoginDevice) -> None:
    session.add(device)
    session.flush()


def save_login_device(session: Session, device: LoginDevice) -> None:
    session.add(device)


def forget_devices_beyond(
    session: Session, *, user_id: uuid.UUID, keep: int, now: datetime
) -> None:
    """Delete an account's expired devices, and all but its ``keep`` most recently used."""
    newest = (
        select(LoginDevice.token_hash)
        .where(col(LoginDevice.user_id) == user_id)
        .order_by(col(LoginDevice.last_used_at).desc(), col(LoginDevice.token_hash))
        .limit(keep)
    )
    session.execute(
        delete(LoginDevice).where(
            col(LoginDevice.user_id) == user_id,
            or_(
                col(LoginDevice.expires_at) <= now,
                col(LoginDevice.token_hash).not_in(newest),
            ),
        )
    )


def delete_login_devices_of(session: Session, user_id: uuid.UUID) -> None:
    session.execute(delete(LoginDevice).where(col(LoginDevice.user_id) == user_id))


# Web sessions


def web_session(session: Session, token_hash: str) -> WebSession | None:
    return session.get(WebSession, token_hash)


def insert_web_session(session: Session, record: WebSession) -> None:
    session.add(record)
    session.flush()


def save_web_session(session: Session, record: WebSession) -> None:
    session.add(record)


def delete_web_session(session: Session, record: WebSession) -> None:
    """Delete a loaded session row."""
    session.delete(record)


def delete_web_session_by_hash(session: Session, token_hash: str) -> None:
    session.execute(delete(WebSession).where(col(WebSession.token_hash) == token_hash))


def delete_web_sessions_of(session: Session, user_id: uuid.UUID) -> int:
    """End every session of an account; returns how many there were."""
    return rowcount(session.execute(delete(WebSession).where(col(WebSession.user_id) == user_id)))


def delete_expired_web_sessions(session: Session, *, now: datetime) -> int:
    """Delete the sessions whose absolute end is past; returns how many."""
    return rowcount(session.execute(delete(WebSession).where(col(WebSession.expires_at) <= now)))


# Forms kept across a lost session


def insert_kept_form(session: Session, record: KeptForm) -> None:
    session.add(record)


def kept_form(session: Session, token_hash: str, *, now: datetime) -> KeptForm | None:
    """The live kept form behind a token; expired ones are deleted on the way."""
    session.execute(delete(KeptForm).where(col(KeptForm.expires_at) <= now))
    return session.get(KeptForm, token_hash)


def delete_kept_form(session: Session, record: KeptForm) -> None:
    session.delete(record)


# Password resets


def insert_password_reset(session: Session, record: PasswordReset) -> None:
    session.add(record)


def password_reset(session: Session, token_hash: str) -> PasswordReset | None:
    return session.get(PasswordReset, token_hash)


def use_password_reset(session: Session, token_hash: str, *, now: datetime) -> bool:
    """Mark a live reset used; False when it was used (perhaps a moment ago) or has expired.
    One UPDATE, so two tabs posting the same link cannot both get through."""
    used = session.execute(
        update(PasswordReset)
        .where(
            col(PasswordReset.token_hash) == token_hash,
            col(PasswordReset.used_at).is_(None),
            col(PasswordReset.expires_at) > now,
        )
        .values(used_at=now)
    )
    return rowcount(used) == 1


def end_password_resets_of(session: Session, user_id: uuid.UUID, *, now: datetime) -> None:
    """Every link still open for an account stops working (its password just changed)."""
    session.execute(
        update(PasswordReset)
        .where(col(PasswordReset.user_id) == user_id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )
