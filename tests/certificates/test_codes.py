"""Verification codes: Crockford base32, read the way people type them."""

from __future__ import annotations

from app.certificates import codes

LEGACY = "Zk3xQ9_aLm2VbR7tYc0pWe4sHn1"  # a 27-character URL-safe code from before


def test_new_codes_are_canonical_crockford_of_100_bits() -> None:
    made = {codes.new_code() for _ in range(200)}
    assert len(made) == 200
    for code in made:
        assert len(code) == codes.LENGTH == 20
        assert set(code) <= set(codes.ALPHABET)
        assert not set(code) & set("ILOU")
        assert codes.normalise(code) == code


def test_typed_codes_are_read_case_insensitively_with_or_without_dashes() -> None:
    code = "7K3MQ9XA0T1VZ4HR8NWC"
    for typed in (
        code,
        code.lower(),
        "7K3M-Q9XA-0T1V-Z4HR-8NWC",
        " 7k3m q9xa 0t1v z4hr 8nwc ",
        "7k3m-q9xa-Ot1v-z4hr-8nwc",  # O read as 0
        "7K3M-Q9XA-0TIV-Z4HR-8NWC",  # I read as 1
        "7K3M-Q9XA-0tlv-Z4HR-8NWC",  # l read as 1
    ):
        assert codes.normalise(typed) == code, typed


def test_what_is_not_a_code_is_refused() -> None:
    assert codes.normalise("7K3M-Q9XA-0T1V-Z4HR-8NWU") is None  # U is not in the alphabet
    assert codes.normalise("7K3M-Q9XA") is None  # too short
    assert codes.normalise("7K3M-Q9XA-0T1V-Z4HR-8NWC-0") is None  # too long
    assert codes.normalise("7K3M_Q9XA.0T1V/Z4HR+8NWC") is None
    assert codes.normalise("") is None


def test_printed_in_groups_of_four_and_old_codes_as_they_were() -> None:
    assert codes.display("7K3MQ9XA0T1VZ4HR8NWC") == "7K3M-Q9XA-0T1V-Z4HR-8NWC"
    assert codes.display(LEGACY) == LEGACY


def test_lookup_keeps_old_codes_exactly_as_typed() -> None:
    assert codes.lookup_forms(f" {LEGACY} ") == [LEGACY]
    assert codes.lookup_forms("7k3m-q9xa-0t1v-z4hr-8nwc") == [
        "7K3MQ9XA0T1VZ4HR8NWC",
        "7k3m-q9xa-0t1v-z4hr-8nwc",
    ]
    assert codes.lookup_forms("   ") == []


def test_a_pasted_address_gives_the_canonical_code() -> None:
    assert codes.from_typed("https://loket.example/verify/7k3m-q9xa-0t1v-z4hr-8nwc/") == (
        "7K3MQ9XA0T1VZ4HR8NWC"
    )
    assert codes.from_typed(f"https://loket.example/verify/{LEGACY}?t=a.b.c") == LEGACY
    assert codes.from_typed("abc123") == "abc123"
