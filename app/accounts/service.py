"""Account rules: registration, officer and admin creation, login, the caller behind a token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from app.accounts import devices, repository, throttle
from app.accounts.nik import mask_nik, nik_problems
from app.accounts.passwords import PasswordHasher, password_problems
from app.accounts.principal import ADMIN, CITIZEN, OFFICER, OFFICER_ROLES, Principal
from app.accounts.schemas import RegisterRequest, UserRead
from app.config import Settings
from app.db import Session
from app.errors import Conflict, FieldError, NotFound, ValidationFailed, field_error
from app.models import Department, User
from app.models.base import utcnow

ROLES = (CITIZEN, OFFICER, ADMIN)
LANGUAGES = ("id", "en")


def register_citizen(
    session: Session, *, passwords: PasswordHasher, request: RegisterRequest
) -> User:
    """Self-registration of a resident."""
    errors = _nik_errors(request.nik) + _password_errors(
        request.password, email=request.email, full_name=request.full_name
    )
    if request.language not in LANGUAGES:
        errors.append(
            field_error("language", "Bahasa harus 'id' atau 'en'", "Language must be 'id' or 'en'")
        )
    if errors:
        raise ValidationFailed(errors=errors)
    user = User(
        email=request.email.lower(),
        full_name=request.full_name,
        nik=request.nik,
        phone=request.phone,
        role=CITIZEN,
        language=request.language,
        password_hash=passwords.hash(request.password),
    )
    return _insert_user(session, user)


def create_user(
    session: Session,
    *,
    passwords: PasswordHasher,
    email: str,
    password: str,
    full_name: str,
    role: str,
    department_code: str | None = None,
    officer_roles: frozenset[str] = frozenset(),
    nik: str | None = None,
) -> User:
    """Create any kind of account (CLI and admin pages); officers need a department and roles."""
    errors = _password_errors(password, email=email, full_name=full_name)
    if role not in ROLES:
        errors.append(field_error("role", "Peran tidak dikenal", "Unknown role"))
    if nik is not None:
        errors += _nik_errors(nik)
    department = _officer_department(
        session,
        role=role,
        department_code=department_code,
        officer_roles=officer_roles,
        errors=errors,
    )
    if errors:
        raise ValidationFailed(errors=errors)
    user = User(
        email=email.strip().lower(),
        full_name=full_name.strip(),
        nik=nik,
        role=role,
        department_id=department.id if department else None,
        officer_roles=",".join(sorted(officer_roles)) if role == OFFICER else "",
        password_hash=passwords.hash(password),
    )
    return _insert_user(session, user)


def _officer_department(
    session: Session,
    *,
    role: str,
    department_code: str | None,
    officer_roles: frozenset[str],
    errors: list[FieldError],
) -> Department | None:
    if role != OFFICER:
        return None
    if not officer_roles or not officer_roles <= OFFICER_ROLES:
        errors.append(
            field_error(
                "officer_roles",
                "Petugas perlu peran verifier dan/atau approver",
                "An officer needs the verifier and/or approver role",
            )
        )
    department = repository.department_by_code(session, department_code or "")
    if department is None:
        errors.append(field_error("department", "Dinas tidak dikenal", "Unknown department"))
    return department


def _insert_user(session: Session, user: User) -> User:
    if repository.user_by_email(session, user.email):
        raise _duplicate("email", "E-mail sudah terdaftar", "This e-mail is already registered")
    if user.nik and repository.user_by_nik(session, user.nik):
        raise _duplicate("nik", "NIK sudah terdaftar", "This NIK is already registered")
    try:
        repository.insert_user(session, user)
    except IntegrityError:  # a concurrent registration with the same e-mail or NIK won the race
        raise _duplicate(
            "email",
            "Akun dengan data ini sudah ada",
            "An account with these details already exists",
        ) from None
    return user


def _duplicate(field: str, id_text: str, en_text: str) -> Conflict:
    return Conflict(errors=[field_error(field, id_text, en_text)])


def registration_problems(
    *, nik: str, password: str, email: str, full_name: str
) -> list[FieldError]:
    """The NIK's and password's problems, for a registration form whose other fields were
    already refused: so a person is told every problem at once, not some on the next try."""
    return _nik_errors(nik) + _password_errors(password, email=email, full_name=full_name)


def _nik_errors(nik: str) -> list[FieldError]:
    return [FieldError("nik", problem) for problem in nik_problems(nik)]


def _password_errors(password: str, *, email: str, full_name: str) -> list[FieldError]:
    problems = password_problems(password, email=email, full_name=full_name)
    return [FieldError("password", problem) for problem in problems]


def create_department(session: Session, *, code: str, name: str) -> Department:
    """Create a department; its code is what services and officers refer to."""
    code = code.strip().upper()
    if not code or len(code) > 32 or not code.replace("_", "").isalnum():
        raise ValidationFailed(
            errors=[
                field_error(
                    "code", "Kode dinas hanya huruf, angka dan _", "Use letters, digits and _ only"
                )
            ]
        )
    if repository.department_by_code(session, code):
        raise _duplicate("code", "Kode dinas sudah ada", "Department code already exists")
    department = Department(code=code, name=name.strip())
    repository.insert_departments(session, [department])
    return department


@dataclass(frozen=True)
class SignedIn:
    """A successful login: the account, and the device token to give back to the device."""

    user: User
    device_token: str


def authenticate(
    session: Session,
    *,
    passwords: PasswordHasher,
    settings: Settings,
    email: str,
    password: str,
    ip: str | None,
    device_token: str | None = None,
) -> SignedIn | None:
    """Check a login and record the outcome for throttling; None means refused, for any cause.

    ``device_token`` is what the device got at an earlier sign-in (cookie or header), if any.
    """
    user = repository.user_by_email(session, email)
    known = devices.known_device(session, token=device_token, user=user)
    limits = throttle.limits_for(email=email, ip=ip, known_device=known, settings=settings)
    throttle.ensure_allowed(session, limits=limits)
    if user is None or not user.is_active:
        passwords.burn_time(password)  # unknown and known accounts take the same time
        throttle.record_failure(session, limits=limits, settings=settings)
        return None
    if not passwords.verify(user.password_hash, password):
        throttle.record_failure(session, limits=limits, settings=settings)
        return None
    throttle.record_success(session, limits=limits)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
        repository.save_user(session, user)
    token = devices.remember(session, user=user, token=device_token, known=known)
    return SignedIn(user=user, device_token=token)


def change_password(
    session: Session, *, passwords: PasswordHasher, principal: Principal, current: str, new: str
) -> User:
    """The caller's new password (the current one must be right); refresh tokens are revoked
    and the account's devices forgotten (one that signed in with the old password, an
    attacker's perhaps, must not stay known)."""
    user = principal.user
    if user is None:
        raise NotFound()
    if not passwords.verify(user.password_hash, current):
        raise ValidationFailed(
            errors=[
                field_error(
                    "current_password", "Kata sandi saat ini salah", "The current password is wrong"
                )
            ]
        )
    problems = password_problems(new, email=user.email, full_name=user.full_name)
    if problems:
        raise ValidationFailed(errors=[FieldError("new_password", p) for p in problems])
    user.password_hash = passwords.hash(new)
    user.must_change_password = False
    repository.save_user(session, user)
    repository.end_password_resets_of(session, user.id, now=utcnow())
    repository.revoke_refresh_tokens(session, user_id=user.id)
    devices.forget_all(session, user=user)
    return user


def register(session: Session, *, passwords: PasswordHasher, request: RegisterRequest) -> UserRead:
    """Self-registration through the API: the new account's own profile."""
    user = register_citizen(session, passwords=passwords, request=request)
    return _profile(session, user, officer_roles=frozenset())


def read_profile(session: Session, *, principal: Principal) -> UserRead:
    """The caller's own profile, NIK masked."""
    user = principal.user
    if user is None:
        raise NotFound()
    if principal.app is not None:  # an app sees the profile only when granted it
        principal.require_scope("profile")
    return _profile(session, user, officer_roles=principal.officer_roles)


def _profile(session: Session, user: User, *, officer_roles: frozenset[str]) -> UserRead:
    department = (
        repository.department_by_id(session, user.department_id) if user.department_id else None
    )
    return UserRead(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        nik_masked=mask_nik(user.nik) if user.nik else None,
        phone=user.phone,
        department_code=department.code if department else None,
        officer_roles=sorted(officer_roles),
        language=user.language,
    )
