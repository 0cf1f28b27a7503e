"""ES256 (P-256) signing keys, kept as PEM files in ``Settings.keys_dir``.

Layout: one unencrypted PKCS#8 PEM per key, named ``jwt-<UTC yyyymmddTHHMMSSZ>-<kid prefix>.pem``.
The creation time lives in the file name rather than in the mtime, so a copied or restored key
keeps its age, and sorting the names sorts the keys oldest to newest. Rotating means writing one
more such file (``write_key_file``): the newest key signs, every key in the directory verifies,
and an old key is retired by deleting its file once its last tokens have expired.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.fsutil import exclusive_lock, fsync_path

KEY_FILE_GLOB = "jwt-*.pem"
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_NAME_STAMP = re.compile(r"jwt-(\d{8}T\d{6}Z)-")
_LOCK_FILE = ".jwt.lock"

log = logging.getLogger(__name__)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(members: dict[str, str]) -> str:
    """RFC 7638 thumbprint (base64url SHA-256) of an EC public JWK's crv, kty, x and y."""
    required = {name: members[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


@dataclass(frozen=True)
class SigningKey:
    """One P-256 key pair; ``kid`` is the RFC 7638 thumbprint of its public half."""

    kid: str
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    public_jwk: dict[str, str]
    created_at: datetime

    @classmethod
    def from_private_key(cls, private_key: object, *, created_at: datetime) -> SigningKey:
        """Wrap a loaded key, refusing anything but EC P-256 (the only curve ES256 allows)."""
        if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(
            private_key.curve, ec.SECP256R1
        ):
            raise ValueError("signing keys must be EC P-256 private keys")
        numbers = private_key.public_key().public_numbers()
        members = {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }
        kid = jwk_thumbprint(members)
        jwk = {**members, "kid": kid, "alg": "ES256", "use": "sig"}
        return cls(kid=kid, private_key=private_key, public_jwk=jwk, created_at=created_at)

    @classmethod
    def generate(cls, *, created_at: datetime | None = None) -> SigningKey:
        """A fresh P-256 key; the time is truncated to seconds because file names keep seconds."""
        when = (created_at or datetime.now(UTC)).replace(microsecond=0)
        return cls.from_private_key(ec.generate_private_key(ec.SECP256R1()), created_at=when)

    @property
    def file_name(self) -> str:
        return f"jwt-{self.created_at.astimezone(UTC):{_STAMP_FORMAT}}-{self.kid[:8]}.pem"


class KeyStore:
    """The signing keys of one installation: the newest signs, all of them verify.

    Loaded from a directory, the store re-reads it at most every ``refresh_seconds`` (and when
    a token names a kid it does not know), so a `loket keys rotate` run by an operator reaches
    every server process without a restart.
    """

    def __init__(
        self,
        keys: Iterable[SigningKey],
        *,
        keys_dir: Path | None = None,
        refresh_seconds: float = 30.0,
    ) -> None:
        self._keys_dir = keys_dir
        self._refresh_seconds = refresh_seconds
        self._checked_at = time.monotonic()
        self._install(keys)

    def _install(self, keys: Iterable[SigningKey]) -> None:
        # Stable sort: keys created in the same second stay in the order given (file-name order).
        ordered = sorted(keys, key=lambda key: key.created_at)
        if not ordered:
            raise ValueError("a KeyStore needs at least one signing key")
        # One assignment, so concurrent readers see either the old or the new set, never a mix.
        self._state = ({key.kid: key for key in ordered}, ordered[-1])

    @classmethod
    def load_or_create(cls, keys_dir: Path, *, refresh_seconds: float = 30.0) -> KeyStore:
        """Load every ``jwt-*.pem`` in ``keys_dir``; with none there, create and save one key."""
        keys = _load_all(keys_dir)
        if not keys:
            keys = _create_first_key(keys_dir)
        return cls(keys, keys_dir=keys_dir, refresh_seconds=refresh_seconds)

    def refresh(self, *, force: bool = False) -> None:
        """Re-read the key directory if it is time (or ``force``); keep the old set on failure."""
        now = time.monotonic()
        if self._keys_dir is None or (not force and now - self._checked_at < self._refresh_seconds):
            return
        self._checked_at = now
        keys = _load_all(self._keys_dir)
        if keys:
            self._install(keys)

    @property
    def current(self) -> SigningKey:
        """The newest key, which signs new tokens."""
        self.refresh()
        return self._state[1]

    def get(self, kid: str) -> SigningKey | None:
        key = self._state[0].get(kid)
        if key is None:
            self.refresh()
            key = self._state[0].get(kid)
        return key

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWK set (RFC 7517), newest key first; copies, so callers cannot alter ours."""
        self.refresh()
        newest_first = sorted(self._state[0].values(), key=lambda k: k.created_at, reverse=True)
        return {"keys": [dict(key.public_jwk) for key in newest_first]}


def rotate(keys_dir: Path, *, retire_after_seconds: float) -> tuple[SigningKey, list[str]]:
    """Add a new signing key; delete keys superseded longer ago than their tokens can live.

    Returns the new key and the kids removed. A key stays published while any token it signed
    may still be valid: until its successor is ``retire_after_seconds`` old.
    """
    existing = sorted(keys_dir.glob(KEY_FILE_GLOB), key=_created_at)
    created_at = datetime.now(UTC).replace(microsecond=0)
    if existing and _created_at(existing[-1]) >= created_at:
        # Key files record whole seconds: the new key must sort strictly after the current one.
        created_at = _created_at(existing[-1]) + timedelta(seconds=1)
    new_key = SigningKey.generate(created_at=created_at)
    write_key_file(keys_dir=keys_dir, key=new_key)
    paths = sorted(keys_dir.glob(KEY_FILE_GLOB), key=_created_at)
    cutoff = datetime.now(UTC).timestamp() - retire_after_seconds
    removed = []
    for older, successor in zip(paths, paths[1:], strict=False):
        if _created_at(successor).timestamp() < cutoff:
            removed.append(_load_key_file(older).kid)
            older.unlink()
    return new_key, removed


def write_key_file(*, keys_dir: Path, key: SigningKey) -> Path:
    """Save ``key`` as a mode-0600 PEM in ``keys_dir`` atomically (temp file, then rename)."""
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    target = keys_dir / key.file_name
    # mkstemp creates the file 0600 from the start, so the key is never readable by others, and
    # its name does not match KEY_FILE_GLOB, so a half-written file is never loaded.
    fd, tmp = tempfile.mkstemp(prefix=".jwt-", suffix=".tmp", dir=keys_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_path(keys_dir)
    return target


def _create_first_key(keys_dir: Path) -> list[SigningKey]:
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    with exclusive_lock(keys_dir / _LOCK_FILE):
        # Another process may have created the key while we waited: use it rather than add a
        # second one, or each process would sign with a key the others have never loaded.
        keys = _load_all(keys_dir)
        if not keys:
            key = SigningKey.generate()
            write_key_file(keys_dir=keys_dir, key=key)
            log.info("created signing key %s in %s", key.kid, keys_dir)
            keys = [key]
    return keys


def _load_all(keys_dir: Path) -> list[SigningKey]:
    if not keys_dir.is_dir():
        return []
    return [_load_key_file(path) for path in sorted(keys_dir.glob(KEY_FILE_GLOB))]


def _load_key_file(path: Path) -> SigningKey:
    if path.stat().st_mode & 0o077:
        log.warning("signing key %s is readable by other users; chmod 600 it", path)
    try:
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        return SigningKey.from_private_key(private_key, created_at=_created_at(path))
    except (ValueError, TypeError) as exc:  # TypeError: an encrypted PEM
        raise ValueError(f"cannot use signing key file {path}: {exc}") from exc


def _created_at(path: Path) -> datetime:
    match = _NAME_STAMP.match(path.name)
    if match:
        return datetime.strptime(match.group(1), _STAMP_FORMAT).replace(tzinfo=UTC)
    # A file an operator named by hand: its mtime is the best age we have.
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
