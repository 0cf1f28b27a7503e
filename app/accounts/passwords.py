"""Password hashing (argon2id) and the password policy.

Policy follows NIST SP 800-63B: a length range, no composition rules, and a blocklist of common
passwords and of passwords built from the account's own e-mail or name.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

import argon2
from argon2.exceptions import Argon2Error

from app.errors import Msg

MIN_LENGTH = 8
MAX_LENGTH = 128
# Personal strings shorter than this are too likely to occur by chance in a good password.
MIN_PERSONAL_LENGTH = 4
_BLOCKLIST_PATH = Path(__file__).with_name("common_passwords.txt")


def _normalise(password: str) -> str:
    # The same password typed on different keyboards can arrive composed or decomposed.
    return unicodedata.normalize("NFKC", password)


class PasswordHasher:
    """argon2id hashing with the configured cost; verification never raises."""

    def __init__(self, *, time_cost: int, memory_kib: int) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=argon2.Type.ID
        )
        # Hashed with the same parameters, so verifying against it costs what a real check costs.
        self._dummy_hash = self._hasher.hash("loket-dummy-password-for-timing")

    def hash(self, password: str) -> str:
        """A new argon2id hash (random salt) of the password."""
        return self._hasher.hash(_normalise(password))

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether the password matches; False on a mismatch or a malformed hash."""
        try:
            return self._hasher.verify(password_hash, _normalise(password))
        except (Argon2Error, ValueError, TypeError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash used other parameters (or is unreadable) and should be redone."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (Argon2Error, ValueError, TypeError):
            return True

    def burn_time(self, password: str) -> None:
        """Spend one verification's time, so unknown accounts answer as slowly as known ones."""
        self.verify(self._dummy_hash, password)


def password_problems(password: str, *, email: str = "", full_name: str = "") -> list[Msg]:
    """Everything wrong with a new password; an empty list means it is acceptable."""
    length = len(password)  # code points, so an emoji counts as one character
    if length < MIN_LENGTH:
        return [
            Msg(
                f"Kata sandi minimal {MIN_LENGTH} karakter",
                f"The password must be at least {MIN_LENGTH} characters long",
            )
        ]
    if length > MAX_LENGTH:
        return [
            Msg(
                f"Kata sandi maksimal {MAX_LENGTH} karakter",
                f"The password must be at most {MAX_LENGTH} characters long",
            )
        ]
    folded = _fold(password)
    problems = []
    if folded in common_passwords():
        problems.append(
            Msg(
                "Kata sandi ini terlalu umum dan mudah ditebak; pilih yang lain",
                "This password is too common and easy to guess; choose another",
            )
        )
    if _contains_personal(folded, email.split("@")[0]):
        problems.append(
            Msg(
                "Kata sandi tidak boleh memuat alamat e-mail Anda",
                "The password must not contain your e-mail address",
            )
        )
    if _contains_personal(folded, full_name) or _contains_personal(folded, _no_spaces(full_name)):
        problems.append(
            Msg(
                "Kata sandi tidak boleh memuat nama Anda", "The password must not contain your name"
            )
        )
    return problems


def _fold(text: str) -> str:
    return _normalise(text).casefold()


def _no_spaces(text: str) -> str:
    return "".join(text.split())


def _contains_personal(folded_password: str, personal: str) -> bool:
    personal = _fold(" ".join(personal.split()))
    return len(personal) >= MIN_PERSONAL_LENGTH and personal in folded_password


@cache
def common_passwords() -> frozenset[str]:
    """The blocklist of common passwords, case-folded; read once on first use."""
    lines = _BLOCKLIST_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(_fold(line.strip()) for line in lines if line.strip() and line[0] != "#")
