"""The key that signs the audit log's checkpoints: Ed25519, in a file, never in the database.

Whoever can write the database can rewrite events and recompute every hash; what they cannot
do without this file is sign a checkpoint that agrees with the rewritten log. Keep the file
where the database's administrators cannot reach it (``LOKET_AUDIT_KEY_FILE``; by default
beside the other keys in the data directory), and its public key with the auditors.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.fsutil import exclusive_lock, fsync_path


@dataclass(frozen=True)
class CheckpointKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public)

    def public_pem(self) -> str:
        return public_pem(self.public)

    def sign(self, note: bytes) -> str:
        return base64.b64encode(self.private.sign(note)).decode("ascii")


def key_id_of(public: Ed25519PublicKey) -> str:
    """The first 8 bytes of the SHA-256 of the raw public key, in hex."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def verifies(public: Ed25519PublicKey, note: bytes, signature: str) -> bool:
    try:
        public.verify(base64.b64decode(signature, validate=True), note)
    except (InvalidSignature, ValueError):
        return False
    return True


def load_public(pem: bytes) -> Ed25519PublicKey:
    """A pinned public key (``loket audit key`` printed it), to check checkpoints without the
    private key: what an auditor holds."""
    loaded = serialization.load_pem_public_key(pem)
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return loaded


def load_or_create(path: Path) -> CheckpointKey:
    """The key in ``path``; created (mode 0600) on first use, once even with several processes."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with exclusive_lock(path.with_suffix(".lock")):
        if not path.exists():
            _write(path, Ed25519PrivateKey.generate())
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return CheckpointKey(loaded)


def _write(path: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    fsync_path(temp)
    os.replace(temp, path)
    fsync_path(path.parent)
