"""Master keys for sealing personal data, kept where the database is not.

The keyring is JSON, from ``LOKET_DATA_KEYS`` (the JSON itself, for secret stores that inject
environment variables) or from the file ``LOKET_DATA_KEYS_FILE`` (default
``<data dir>/keys/data-keys.json``, mode 0600)::

    {"current": "k20261204a1b2", "keys": {"k20261204a1b2": "<base64 of 32 bytes>", ...},
     "index_key": "<base64 of 32 bytes>"}

``current`` wraps every new data key; the others still open what they wrapped until
``loket keys rotate-data`` has re-wrapped it (then they may be retired). ``index_key`` keys the
blind indexes (HMAC) that let the NIK be looked up without being stored in the clear; it never
rotates with the master keys, or every index would have to be rebuilt at the same moment.

In development a missing file is created on first use, as the signing keys are; in production
the keyring must be configured, because every app machine needs the same keys.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from contextlib import nullcontext
from pathlib import Path

from app.config import Settings
from app.fsutil import exclusive_lock, fsync_path

_KEY_BYTES = 32


class SealError(ValueError):
    """A sealed value that is not ours, was altered, belongs to another context, or whose master
    key is not in the keyring."""


class KeyringError(RuntimeError):
    """The keyring is missing (in production) or malformed: Loket must not start with it."""


class Keyring:
    """The master keys and the blind-index key; see the module docstring."""

    def __init__(self, *, current: str, keys: Mapping[str, bytes], index_key: bytes) -> None:
        if current not in keys:
            raise KeyringError(f"the current data key {current!r} is not among the keys")
        for key_id, key in keys.items():
            _check_key(key_id, key)
        _check_key("index_key", index_key)
        self.current_id = current
        self._keys = dict(keys)
        self._index_key = index_key

    def current(self) -> tuple[str, bytes]:
        """The id and bytes of the master key that wraps new data keys."""
        return self.current_id, self._keys[self.current_id]

    def master(self, key_id: str) -> bytes:
        """A master key by id; SealError when the keyring does not hold it (retired too soon)."""
        try:
            return self._keys[key_id]
        except KeyError:
            raise SealError(f"master key {key_id!r} is not in the keyring") from None

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def blind_index(self, value: str, *, purpose: str) -> str:
        """A keyed hash of ``value`` for equality lookups (hex). ``purpose`` (e.g. ``"nik"``)
        separates indexes, so equal values in two columns do not hash alike."""
        message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    def with_new_master_key(self) -> Keyring:
        """A copy whose current key is a fresh one; the old keys stay for opening old values."""
        key_id = new_key_id()
        keys = {**self._keys, key_id: secrets.token_bytes(_KEY_BYTES)}
        return Keyring(current=key_id, keys=keys, index_key=self._index_key)

    def without(self, key_id: str) -> Keyring:
        """A copy without a retired master key (never the current one)."""
        if key_id == self.current_id:
            raise KeyringError("the current data key cannot be retired")
        keys = {k: v for k, v in self._keys.items() if k != key_id}
        return Keyring(current=self.current_id, keys=keys, index_key=self._index_key)

    def to_json(self) -> str:
        return json.dumps(
            {
                "current": self.current_id,
                "keys": {k: _b64(v) for k, v in self._keys.items()},
                "index_key": _b64(self._index_key),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            data = json.loads(text)
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
            return cls(
                current=str(data["current"]),
                keys=keys,
                index_key=base64.b64decode(data["index_key"], validate=True),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise KeyringError(f"the data keyring is malformed: {error}") from None

    @classmethod
    def generate(cls) -> Keyring:
        key_id = new_key_id()
        return cls(
            current=key_id,
            keys={key_id: secrets.token_bytes(_KEY_BYTES)},
            index_key=secrets.token_bytes(_KEY_BYTES),
        )


def load_keyring(*, inline: str | None, path: Path, create: bool) -> Keyring:
    """The keyring from ``inline`` JSON if given, else from ``path``; a missing file is created
    when ``create`` (development) and refused otherwise."""
    if inline:
        return Keyring.from_json(inline)
    if create:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Two processes starting at once on a fresh data directory must not make two keyrings.
    with exclusive_lock(path.with_suffix(".lock")) if create else nullcontext():
        if path.exists():
            return Keyring.from_json(path.read_text("utf-8"))
        if not create:
            raise KeyringError(
                f"no data keyring: set LOKET_DATA_KEYS or LOKET_DATA_KEYS_FILE ({path} is missing)"
            )
        keyring = Keyring.generate()
        save_keyring(keyring, path)
        return keyring


def save_keyring(keyring: Keyring, path: Path) -> None:
    """Write the keyring atomically with mode 0600 (the previous file stays whole on a crash)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(keyring.to_json())
    fsync_path(temp)
    os.replace(temp, path)
    fsync_path(path.parent)


def new_key_id() -> str:
    """``k`` + today's date + random hex: sortable by age, unique without coordination."""
    return f"k{dt.date.today():%Y%m%d}{secrets.token_hex(3)}"


def _check_key(key_id: str, key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != _KEY_BYTES:
        raise KeyringError(f"data key {key_id!r} must be {_KEY_BYTES} bytes")
    if not key_id.isascii() or not 0 < len(key_id) < 256:
        raise KeyringError(f"data key id {key_id!r} must be 1-255 ASCII characters")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def keyring_from_settings(settings: Settings) -> Keyring:
    """The configured keyring; created on first use outside production."""
    inline = settings.data_keys.get_secret_value() if settings.data_keys else None
    return load_keyring(
        inline=inline, path=settings.data_keys_path, create=settings.env != "production"
    )
