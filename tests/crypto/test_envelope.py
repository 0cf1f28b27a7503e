"""Sealed values: what a dump holds is ciphertext, rotation re-wraps, tampering is refused."""

from __future__ import annotations

import json
import os
import stat

import pytest

from app.config import Settings
from app.crypto import envelope
from app.crypto.keyring import Keyring, KeyringError, SealError, keyring_from_settings, load_keyring


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


def test_a_sealed_value_opens_only_in_its_context(keyring):
    blob = envelope.seal(keyring, b"3171012345678901", context="users.nik:1")

    assert b"3171012345678901" not in blob
    assert envelope.open_sealed(keyring, blob, context="users.nik:1") == b"3171012345678901"
    with pytest.raises(SealError):
        envelope.open_sealed(keyring, blob, context="users.nik:2")


def test_each_seal_uses_a_fresh_data_key(keyring):
    first = envelope.seal(keyring, b"same", context="c")
    second = envelope.seal(keyring, b"same", context="c")

    assert first != second


@pytest.mark.parametrize("position", [5, 30, 70, -1])
def test_a_flipped_byte_anywhere_is_refused(keyring, position):
    blob = bytearray(envelope.seal(keyring, b"0812-3456-7890", context="c"))
    blob[position] ^= 0x01

    with pytest.raises(SealError):
        envelope.open_sealed(keyring, bytes(blob), context="c")


@pytest.mark.parametrize("garbage", [b"", b"LKE1", b"plain text", b"LKE1\x05abc"])
def test_what_is_not_a_sealed_value_is_refused_clearly(keyring, garbage):
    with pytest.raises(SealError):
        envelope.open_sealed(keyring, garbage, context="c")


def test_rotation_rewraps_the_key_and_keeps_the_data(keyring):
    blob = envelope.seal(keyring, b"Jl. Merdeka 1", context="c")
    rotated = keyring.with_new_master_key()

    rewrapped = envelope.rewrap(rotated, blob)

    assert envelope.master_key_id(blob) == keyring.current_id
    assert envelope.master_key_id(rewrapped) == rotated.current_id
    assert rewrapped.endswith(blob[-40:])  # the ciphertext itself is untouched
    retired = rotated.without(keyring.current_id)
    assert envelope.open_sealed(retired, rewrapped, context="c") == b"Jl. Merdeka 1"
    with pytest.raises(SealError, match="not in the keyring"):
        envelope.open_sealed(retired, blob, context="c")
    assert envelope.rewrap(rotated, rewrapped) is rewrapped


def test_text_form_for_columns(keyring):
    token = envelope.seal_text(keyring, "3171012345678901", context="users.nik:7")

    assert envelope.is_sealed_text(token) and token.isascii()
    assert envelope.open_text(keyring, token, context="users.nik:7") == "3171012345678901"
    rotated = keyring.with_new_master_key()
    assert envelope.open_text(rotated, envelope.rewrap_text(rotated, token), context="users.nik:7")
    with pytest.raises(SealError):
        envelope.open_text(keyring, "3171012345678901", context="users.nik:7")


def test_blind_index_is_keyed_and_separated_by_purpose(keyring):
    other = Keyring.generate()

    assert keyring.blind_index("3171", purpose="nik") == keyring.blind_index("3171", purpose="nik")
    assert keyring.blind_index("3171", purpose="nik") != other.blind_index("3171", purpose="nik")
    nik = keyring.blind_index("3171", purpose="nik")
    assert nik != keyring.blind_index("3171", purpose="phone")
    rotated = keyring.with_new_master_key()
    assert rotated.blind_index("3171", purpose="nik") == keyring.blind_index("3171", purpose="nik")


def test_development_creates_a_private_keyring_once(tmp_path):
    settings = Settings(data_dir=tmp_path)

    first = keyring_from_settings(settings)
    again = keyring_from_settings(settings)

    assert first.to_json() == again.to_json()
    mode = stat.S_IMODE(os.stat(settings.data_keys_path).st_mode)
    assert mode == 0o600


def test_production_refuses_to_invent_keys(tmp_path):
    with pytest.raises(KeyringError, match="LOKET_DATA_KEYS"):
        load_keyring(inline=None, path=tmp_path / "missing.json", create=False)


def test_inline_keyring_from_the_environment():
    keyring = Keyring.generate()

    loaded = load_keyring(inline=keyring.to_json(), path=None, create=False)  # type: ignore[arg-type]

    assert loaded.to_json() == keyring.to_json()


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"current": "a", "keys": {}, "index_key": ""}),
        json.dumps({"current": "a", "keys": {"a": "c2hvcnQ="}, "index_key": "c2hvcnQ="}),
    ],
)
def test_a_malformed_keyring_is_refused(text):
    with pytest.raises(KeyringError):
        Keyring.from_json(text)
