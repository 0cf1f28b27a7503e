"""Officers as the workspace sees them: who is signed in as an officer, and their department."""

from __future__ import annotations

from app.accounts import repository
from app.accounts.principal import Principal
from app.db import Session
from app.errors import Forbidden, Msg
from app.models import Department, User


def officer_of(principal: Principal) -> User:
    """The signed-in officer, or Forbidden for anyone else (pages also check the role)."""
    if not principal.is_officer or principal.user is None:
        raise Forbidden(Msg("Hanya untuk petugas", "For officers only"))
    return principal.user


def department_of(session: Session, *, principal: Principal) -> Department:
    officer = officer_of(principal)
    department = repository.department_by_id(session, officer.department_id or -1)
    if department is None:
        raise Forbidden(Msg("Akun petugas tanpa dinas", "The officer account has no department"))
    return department
