"""Password hashing and the password policy."""

from __future__ import annotations

import pytest

from app.accounts.passwords import PasswordHasher, common_passwords, password_problems


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_kib=1024)


def english(password: str, **personal: str) -> list[str]:
    return [problem.en for problem in password_problems(password, **personal)]


# --- hashing ------------------------------------------------------------------------------------


def test_hash_and_verify(hasher: PasswordHasher) -> None:
    stored = hasher.hash("kopi tubruk pagi hari")
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert hasher.verify(stored, "kopi tubruk pagi hari")
    assert not hasher.verify(stored, "kopi tubruk pagi hari ")
    assert not hasher.verify(stored, "")
    assert stored != hasher.hash("kopi tubruk pagi hari")  # salted


@pytest.mark.parametrize(
    "bad_hash",
    [
        "",
        "not-a-hash",
        "$argon2id$v=19$m=1024,t=1,p=1$bad",
        "$2b$12$abcdefghijklmnopqrstuuZ4fNnQy8Jk5cdDd6sW3n1Oa1r7GmS",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$\x00",
    ],
)
def test_verify_never_raises(hasher: PasswordHasher, bad_hash: str) -> None:
    assert hasher.verify(bad_hash, "kopi tubruk pagi hari") is False
    assert hasher.needs_rehash(bad_hash) is True


def test_verify_survives_unencodable_passwords(hasher: PasswordHasher) -> None:
    stored = hasher.hash("kopi tubruk pagi hari")
    assert hasher.verify(stored, "kopi\ud800") is False
    hasher.burn_time("kopi\ud800")


def test_needs_rehash_when_parameters_change(hasher: PasswordHasher) -> None:
    stored = hasher.hash("kopi tubruk pagi hari")
    assert not hasher.needs_rehash(stored)
    assert PasswordHasher(time_cost=2, memory_kib=1024).needs_rehash(stored)
    stronger = PasswordHasher(time_cost=1, memory_kib=2048)
    assert stronger.needs_rehash(stored)
    assert stronger.verify(stored, "kopi tubruk pagi hari")  # old hashes still verify


def test_unicode_forms_of_the_same_password_match(hasher: PasswordHasher) -> None:
    composed, decomposed = "kat\u00e9sandi-rahasia", "kate\u0301sandi-rahasia"
    assert hasher.verify(hasher.hash(composed), decomposed)


def test_burn_time_returns_nothing(hasher: PasswordHasher) -> None:
    assert hasher.burn_time("any password at all") is None


# --- policy -------------------------------------------------------------------------------------


def test_good_passwords() -> None:
    assert password_problems("kuda-lumping-makan-beling") == []
    assert password_problems("correct horse battery staple") == []
    assert password_problems("abcdefgz") == []  # no composition rules


def test_length_bounds_count_code_points() -> None:
    assert english("abc1234") == ["The password must be at least 8 characters long"]
    assert english("\U0001f512" * 7) == ["The password must be at least 8 characters long"]
    assert english("\U0001f512" * 8) == []  # 8 emoji are 8 characters, 32 bytes
    assert english("x" * 128) == []
    assert english("x" * 129) == ["The password must be at most 128 characters long"]


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "PASSWORD123",
        "12345678",
        "qwertyuiop",
        "iloveyou",
        "Jakarta123",
        "indonesia",
        "bismillah",
        "merdeka45",
        "rahasia123",
        "P@ssw0rd",
    ],
)
def test_common_passwords_are_refused(password: str) -> None:
    assert english(password) == ["This password is too common and easy to guess; choose another"]


def test_blocklist_is_loaded_once_and_substantial() -> None:
    blocklist = common_passwords()
    assert blocklist is common_passwords()
    assert len([entry for entry in blocklist if len(entry) >= 8]) >= 300
    assert all(entry == entry.casefold() for entry in blocklist)
    assert not any(entry.startswith("#") for entry in blocklist)


def test_email_local_part_is_refused() -> None:
    email = "Budi.Santoso@example.co.id"
    assert english("budi.santoso2026", email=email) == [
        "The password must not contain your e-mail address"
    ]
    assert english("BUDI.SANTOSO", email=email) == [
        "The password must not contain your e-mail address"
    ]
    assert english("budi-lari-pagi", email="budi@example.com") == [
        "The password must not contain your e-mail address"
    ]
    assert english("abc-lari-pagi", email="abc@example.com") == []  # too short to matter


def test_full_name_is_refused() -> None:
    name = "Siti  Rahmawati"
    expected = ["The password must not contain your name"]
    assert english("siti rahmawati!", full_name=name) == expected
    assert english("SitiRahmawati1", full_name=name) == expected
    assert english("rahmawati siti", full_name=name) == []
    assert english("ani-suka-kopi", full_name="Ani") == []


def test_messages_are_bilingual() -> None:
    (problem,) = password_problems("short")
    assert problem.id == "Kata sandi minimal 8 karakter"
