"""Residents at the counter: an officer finds a walk-in resident's account, or creates one
with a one-time password to hand over on a slip (officers only, citizen accounts only)."""

from __future__ import annotations

import secrets
import uuid

from app.accounts import repository
from app.accounts import service as accounts_service
from app.accounts.passwords import PasswordHasher
from app.accounts.principal import CITIZEN, Principal
from app.accounts.schemas import RegisterRequest
from app.accounts.staff import officer_of
from app.db import Session
from app.models import User

# No 0/o, 1/l/i: the officer reads the password out or writes it on a slip.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def find_resident(
    session: Session, *, principal: Principal, email: str = "", nik: str = ""
) -> User | None:
    """An active resident's account by e-mail or NIK (officers at the counter only)."""
    officer_of(principal)
    user = None
    if email.strip():
        user = repository.user_by_email(session, email)
    elif nik.strip():
        user = repository.user_by_nik(session, nik.strip())
    return user if user is not None and user.role == CITIZEN and user.is_active else None


def resident(session: Session, *, principal: Principal, user_id: uuid.UUID) -> User | None:
    officer_of(principal)
    user = repository.user_by_id(session, user_id)
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
    user.must_change_password = True  # the officer saw it: the resident chooses their own
    repository.save_user(session, user)
    return user, password
