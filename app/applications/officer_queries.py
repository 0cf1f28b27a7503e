"""Queries the officer workspace needs beyond the queue: counts per state, names, residents.

Each function checks that the caller is an officer and keeps to the officer's own department
(or, for residents, to citizen accounts only), so the pages cannot widen what the API allows.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts_service
from app.accounts.passwords import PasswordHasher
from app.accounts.principal import CITIZEN, Principal
from app.accounts.schemas import RegisterRequest
from app.errors import Forbidden, Msg
from app.models import Application, Department, User
from app.workflow.definitions import ACTIVE_STATES

# No 0/o, 1/l/i: the officer reads the password out or writes it on a slip.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def officer_of(principal: Principal) -> User:
    """The signed-in officer, or Forbidden for anyone else (pages also check the role)."""
    if not principal.is_officer or principal.user is None:
        raise Forbidden(Msg("Hanya untuk petugas", "For officers only"))
    return principal.user


def department_of(session: Session, *, principal: Principal) -> Department:
    officer = officer_of(principal)
    department = accounts_repo.department_by_id(session, officer.department_id or -1)
    if department is None:
        raise Forbidden(Msg("Akun petugas tanpa dinas", "The officer account has no department"))
    return department


def state_counts(session: Session, *, principal: Principal) -> dict[str, int]:
    """Applications of the officer's department per state (drafts are not the office's)."""
    officer = officer_of(principal)
    rows = session.execute(
        select(Application.state, func.count())
        .where(Application.department_id == officer.department_id, Application.state != "draft")
        .group_by(Application.state)
    )
    return {state: count for state, count in rows}


def overdue_count(session: Session, *, principal: Principal, today: date) -> int:
    """Files the department holds whose due working day has passed (same rule as the queue)."""
    officer = officer_of(principal)
    return session.execute(
        select(func.count()).where(
            Application.department_id == officer.department_id,
            Application.state.in_(sorted(ACTIVE_STATES)),
            Application.due_at < today,
        )
    ).scalar_one()


def names(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Full names of the given accounts (callers pass ids from files the officer may see)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def find_resident(
    session: Session, *, principal: Principal, email: str = "", nik: str = ""
) -> User | None:
    """An active resident's account by e-mail or NIK (officers at the counter only)."""
    officer_of(principal)
    user = None
    if email.strip():
        user = accounts_repo.user_by_email(session, email)
    elif nik.strip():
        user = accounts_repo.user_by_nik(session, nik.strip())
    return user if user is not None and user.role == CITIZEN and user.is_active else None


def resident(session: Session, *, principal: Principal, user_id: uuid.UUID) -> User | None:
    officer_of(principal)
    user = accounts_repo.user_by_id(session, user_id)
    return user if user is not None and user.role == CITIZEN and user.is_active else None


def create_resident(
    session: Session,
    *,
    principal: Principal,
    passwords: PasswordHasher,
    email: str,
    full_name: str,
    nik: str,
    phone: str | None,
) -> tuple[User, str]:
    """A citizen account for a walk-in resident, with a one-time password shown once."""
    officer_of(principal)
    password = "-".join(
        "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4)
    )
    request = RegisterRequest(
        email=email, full_name=full_name, nik=nik, phone=phone, password=password, language="id"
    )
    user = accounts_service.register_citizen(session, passwords=passwords, request=request)
    return user, password
