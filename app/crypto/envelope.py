"""Envelope encryption of personal data at rest (UU PDP 27/2022): one design for fields and files.

Every sealed value, whether a NIK in a column or an identity scan in the file store, gets its own
256-bit data key. The value is encrypted with it (AES-256-GCM), and the data key is wrapped
(AES-256-GCM again) by a master key that the database never holds: it comes from the environment
or a key file (``app/crypto/keyring.py``). A database dump or a copied disk therefore reveals
ciphertext only, and rotating the master key re-wraps the 60-byte key block of each value
without touching, or even decrypting, the data itself.

A sealed blob is self-describing, so old and new master keys can be in use side by side during a
rotation (no downtime)::

    b"LKE1" | key id length (1 byte) | key id (ASCII)
           | wrap nonce (12) | wrapped data key (32 + 16 tag)
           | data nonce (12) | ciphertext + 16-byte tag

The caller's *context* (for example ``"users.nik:<user id>"`` or ``"file:<store key>"``) is bound
to the ciphertext as associated data: a value copied into another row or file fails to open.
Columns hold text (``seal_text``): ``"lke1:"`` + URL-safe base64 of the blob.
"""

from __future__ import annotations

import base64
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.crypto.keyring import Keyring, SealError

MAGIC = b"LKE1"
TEXT_PREFIX = "lke1:"
_NONCE = 12
_DATA_KEY = 32
_WRAPPED = _DATA_KEY + 16


def seal(keyring: Keyring, plaintext: bytes, *, context: str) -> bytes:
    """Encrypt ``plaintext`` under a fresh data key wrapped by the keyring's current master key."""
    key_id, master = keyring.current()
    data_key = AESGCM.generate_key(bit_length=256)
    header = _header(key_id)
    wrap_nonce = os.urandom(_NONCE)
    wrapped = AESGCM(master).encrypt(wrap_nonce, data_key, header)
    data_nonce = os.urandom(_NONCE)
    body = AESGCM(data_key).encrypt(data_nonce, plaintext, _aad(context))
    return header + wrap_nonce + wrapped + data_nonce + body


def open_sealed(keyring: Keyring, blob: bytes, *, context: str) -> bytes:
    """Decrypt a blob made by :func:`seal` for the same ``context``; SealError otherwise."""
    parsed = _parse(blob)
    data_key = _unwrap(keyring, parsed)
    try:
        return AESGCM(data_key).decrypt(parsed.data_nonce, parsed.body, _aad(context))
    except InvalidTag:
        raise SealError("sealed value altered or opened in the wrong context") from None


def rewrap(keyring: Keyring, blob: bytes) -> bytes:
    """The same value with its data key wrapped by the current master key (rotation). The data
    and its ciphertext stay as they are; a blob already under the current key is returned as is."""
    parsed = _parse(blob)
    current_id, master = keyring.current()
    if parsed.key_id == current_id:
        return blob
    data_key = _unwrap(keyring, parsed)
    header = _header(current_id)
    wrap_nonce = os.urandom(_NONCE)
    wrapped = AESGCM(master).encrypt(wrap_nonce, data_key, header)
    return header + wrap_nonce + wrapped + parsed.data_nonce + parsed.body


def master_key_id(blob: bytes) -> str:
    """Which master key wraps this blob (to find what a rotation has still to re-wrap)."""
    return _parse(blob).key_id


def is_sealed(blob: bytes) -> bool:
    """Whether ``blob`` starts like a sealed value (plain values from before encryption do not)."""
    return blob[: len(MAGIC)] == MAGIC


def seal_text(keyring: Keyring, value: str, *, context: str) -> str:
    """A column-safe sealed form of ``value``."""
    blob = seal(keyring, value.encode("utf-8"), context=context)
    return TEXT_PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")


def open_text(keyring: Keyring, token: str, *, context: str) -> str:
    """The value sealed by :func:`seal_text`."""
    return open_sealed(keyring, _text_blob(token), context=context).decode("utf-8")


def rewrap_text(keyring: Keyring, token: str) -> str:
    """:func:`rewrap` for a column value."""
    blob = _text_blob(token)
    rewrapped = rewrap(keyring, blob)
    if rewrapped is blob:
        return token
    return TEXT_PREFIX + base64.urlsafe_b64encode(rewrapped).decode("ascii")


def is_sealed_text(token: str) -> bool:
    """Whether a column value is sealed (so a migration can seal only what is still plain)."""
    return token.startswith(TEXT_PREFIX)


class _Parsed:
    __slots__ = ("key_id", "header", "wrap_nonce", "wrapped", "data_nonce", "body")

    def __init__(self, key_id, header, wrap_nonce, wrapped, data_nonce, body) -> None:
        self.key_id: str = key_id
        self.header: bytes = header
        self.wrap_nonce: bytes = wrap_nonce
        self.wrapped: bytes = wrapped
        self.data_nonce: bytes = data_nonce
        self.body: bytes = body


def _header(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return MAGIC + struct.pack("B", len(encoded)) + encoded


def _aad(context: str) -> bytes:
    return b"loket-envelope-v1\x00" + context.encode("utf-8")


def _parse(blob: bytes) -> _Parsed:
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise SealError("not a sealed value")
    blob = bytes(blob)
    if not is_sealed(blob) or len(blob) < len(MAGIC) + 1:
        raise SealError("not a sealed value")
    id_length = blob[len(MAGIC)]
    header_end = len(MAGIC) + 1 + id_length
    if len(blob) < header_end + _NONCE + _WRAPPED + _NONCE + 16:
        raise SealError("sealed value truncated")
    key_id = blob[len(MAGIC) + 1 : header_end].decode("ascii", errors="replace")
    cursor = header_end
    wrap_nonce = blob[cursor : cursor + _NONCE]
    cursor += _NONCE
    wrapped = blob[cursor : cursor + _WRAPPED]
    cursor += _WRAPPED
    data_nonce = blob[cursor : cursor + _NONCE]
    cursor += _NONCE
    return _Parsed(key_id, blob[:header_end], wrap_nonce, wrapped, data_nonce, blob[cursor:])


def _unwrap(keyring: Keyring, parsed: _Parsed) -> bytes:
    master = keyring.master(parsed.key_id)
    try:
        return AESGCM(master).decrypt(parsed.wrap_nonce, parsed.wrapped, parsed.header)
    except InvalidTag:
        raise SealError(f"data key does not open with master key {parsed.key_id!r}") from None


def _text_blob(token: str) -> bytes:
    if not isinstance(token, str) or not is_sealed_text(token):
        raise SealError("not a sealed column value")
    try:
        return base64.urlsafe_b64decode(token[len(TEXT_PREFIX) :].encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SealError("sealed column value is not base64") from None
