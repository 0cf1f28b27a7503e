"""JWT access tokens (RFC 9068) and compact JWS signatures: the only module that imports jose.

python-jose's defaults are unsafe (see shared/notes/security.md): ``algorithms`` is optional, the
required-claim checks are off, and a token without ``aud`` passes an audience check. So every
check here is explicit, the header is vetted before jose sees the token, the verifying key is a
jose key object fixed to ES256 and chosen by ``kid`` from our own KeyStore, and JWE is never used.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from jose import jws, jwt
from jose.backends.base import Key
from jose.backends.cryptography_backend import CryptographyECKey
from jose.exceptions import JOSEError

from app.errors import Msg, NotAuthenticated
from app.oauth.keys import KeyStore, SigningKey

ALGORITHM = "ES256"
ACCESS_TOKEN_TYP = "at+jwt"
# Certificates get their own typ so a signed certificate can never pass as an access token.
CERTIFICATE_TYP = "loket-cert+jwt"
ID_TOKEN_TYP = "JWT"  # OpenID Connect Core 2 (refused by verify_access_token)
MAX_TOKEN_LENGTH = 8 * 1024
MAX_LEEWAY_SECONDS = 60

_ACCEPTED_TYPS = frozenset({"at+jwt", "application/at+jwt"})
# An allow-list, so jwk/jku/x5u/x5c/crit (and anything else that would steer verification) fail.
_ALLOWED_HEADERS = frozenset({"alg", "typ", "kid"})
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 section 3.3
_RESERVED_CLAIMS = frozenset(
    {"iss", "aud", "sub", "client_id", "scope", "exp", "iat", "nbf", "jti", "sid"}
)
_REQUIRED = ("aud", "exp", "iat", "iss", "sub", "jti")
_DECODE_OPTIONS = {f"require_{name}": True for name in _REQUIRED}

log = logging.getLogger(__name__)


@dataclass
class InvalidToken(NotAuthenticated):
    """A bearer token that is malformed, forged, expired or not meant for us (RFC 6750 3.1)."""

    slug = "invalid-token"
    title = Msg("Token akses tidak valid atau kedaluwarsa", "Invalid or expired access token")

    def __post_init__(self) -> None:
        self.headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says; ``claims`` is a read-only view of the whole payload."""

    subject: str
    client_id: str
    scopes: frozenset[str]
    jti: str
    expires_at: int
    issued_at: int
    claims: Mapping[str, Any] = field(hash=False, compare=False, repr=False)
    # The sign-in the token belongs to (its refresh-token family), for revoking them together.
    session_id: str | None = None


class _Cached(NamedTuple):
    claims: AccessClaims
    kid: str
    deadline: float  # last instant (exp + leeway) at which the token is still accepted


class _VerifiedCache:
    """A thread-safe LRU of fully verified tokens; an entry dies at its deadline or by eviction."""

    def __init__(self, max_size: int) -> None:
        self._max_size = max_size
        self._entries: OrderedDict[str, _Cached] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, now: float) -> _Cached | None:
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            if now > entry.deadline:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return entry

    def put(self, token: str, entry: _Cached) -> None:
        if self._max_size <= 0:
            return
        with self._lock:
            self._entries[token] = entry
            self._entries.move_to_end(token)
            while len(self._entries) > self._max_size:
                self._entries.popitem(last=False)


class TokenService:
    """Issues and verifies our access tokens and signs compact JWS documents."""

    def __init__(
        self,
        keys: KeyStore,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        cache_size: int = 10_000,
        leeway_seconds: int = 30,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if not 0 <= leeway_seconds <= MAX_LEEWAY_SECONDS:
            raise ValueError(f"leeway_seconds must be between 0 and {MAX_LEEWAY_SECONDS}")
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds
        self._leeway = leeway_seconds
        self._clock = clock
        self._cache = _VerifiedCache(cache_size)
        # jose key objects, built once per kid: parsing a key costs more than verifying with it.
        # Plain dicts suffice: a racing thread at worst builds the same key twice.
        self._signers: dict[str, Key] = {}
        self._verifiers: dict[str, Key] = {}

    def issue_access_token(
        self,
        *,
        subject: str,
        client_id: str,
        scopes: Iterable[str],
        session_id: str | None = None,
        extra_claims: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        """Sign an RFC 9068 access token with the current key; returns (token, expires_in).

        ``session_id`` becomes the ``sid`` claim (OpenID's session id): the sign-in, i.e. the
        refresh-token family, the token belongs to, so that revoking the family ends it too.
        """
        _require_text(subject=subject, client_id=client_id)
        if session_id is not None:
            _require_text(session_id=session_id)
        extra = dict(extra_claims or {})
        if clash := _RESERVED_CLAIMS & extra.keys():
            raise ValueError(f"extra_claims may not set {sorted(clash)}")
        now = int(self._clock())
        claims = {
            **extra,
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "client_id": client_id,
            "scope": _scope_string(scopes),
            "iat": now,
            "exp": now + self._ttl,
            "jti": uuid.uuid4().hex,
        }
        if session_id is not None:
            claims["sid"] = session_id
        return self._sign(claims, typ=ACCESS_TOKEN_TYP), self._ttl

    def issue_id_token(self, *, audience: str, claims: dict[str, Any]) -> str:
        """Sign an OpenID Connect ID token (typ ``JWT``) for the app ``audience``.

        Its typ differs from an access token's, so verify_access_token refuses it: an ID token
        can never be replayed against the API."""
        _require_text(audience=audience)
        if clash := {"iss", "aud", "iat", "exp"} & claims.keys():
            raise ValueError(f"claims may not set {sorted(clash)}")
        now = int(self._clock())
        payload = {
            **claims,
            "iss": self._issuer,
            "aud": audience,
            "iat": now,
            "exp": now + self._ttl,
        }
        return self._sign(payload, typ=ID_TOKEN_TYP)

    def sign_compact_jws(self, payload: dict[str, Any]) -> str:
        """Sign ``payload`` as an ES256 compact JWS (typ ``loket-cert+jwt``): a certificate seal.

        Anyone can check it offline against our published JWKS, picking the key by ``kid``.
        Verifiers must insist on typ ``loket-cert+jwt``; verify_access_token refuses this typ, so a
        certificate can never be replayed as an access token. Nothing is added to the payload
        (no exp or iat): the certificate's own fields say what it asserts and for how long.
        """
        if not isinstance(payload, dict):
            raise TypeError("payload must be a dict")
        return self._sign(payload, typ=CERTIFICATE_TYP)

    def verify_access_token(self, token: str) -> AccessClaims:
        """Return the token's claims, or raise InvalidToken if anything about it is wrong."""
        now = self._clock()
        cached = self._cache.get(token, now) if isinstance(token, str) else None
        # The kid check keeps a retired key's tokens from living on in the cache.
        if cached is not None and self._keys.get(cached.kid) is not None:
            return cached.claims
        try:
            kid, claims = self._verify(token, now)
        except InvalidToken:
            raise
        except JOSEError as exc:
            raise _invalid(str(exc)) from None
        except Exception:
            # jose lets TypeError/OverflowError/RecursionError escape on odd claim values; a bad
            # token must still be a 401, but an unexpected error deserves a louder log line.
            log.warning("unexpected error while verifying an access token", exc_info=True)
            raise _invalid("unexpected verification error") from None
        self._cache.put(token, _Cached(claims, kid, claims.expires_at + self._leeway))
        return claims

    def _sign(self, payload: dict[str, Any], *, typ: str) -> str:
        key = self._keys.current
        headers = {"typ": typ, "kid": key.kid}
        return jws.sign(payload, self._signer(key), headers=headers, algorithm=ALGORITHM)

    def _verify(self, token: str, now: float) -> tuple[str, AccessClaims]:
        _check_shape(token)
        kid = _check_header(jwt.get_unverified_header(token))
        key = self._verifier(kid)
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=self._audience,
            issuer=self._issuer,
            options={**_DECODE_OPTIONS, "leeway": self._leeway},
        )
        return kid, self._check_claims(payload, now)

    def _check_claims(self, payload: dict[str, Any], now: float) -> AccessClaims:
        """Checks jose skips or does loosely (it takes "exp": "123" and reads its own clock)."""
        exp, iat = payload["exp"], payload["iat"]
        nbf = payload.get("nbf", iat)
        if not all(_is_int(value) for value in (exp, iat, nbf)):
            raise _invalid("exp, iat and nbf must be integers")
        if now > exp + self._leeway:
            raise _invalid("token expired")
        if iat > now + self._leeway or nbf > now + self._leeway:
            raise _invalid("token not valid yet")
        # We never issue a longer lifetime, so a longer one was not signed by this code: a
        # leaked or misused signer must not mint tokens that outlive every revocation list.
        if exp - iat > self._ttl + self._leeway:
            raise _invalid("lifetime longer than the configured access token lifetime")
        for name in ("sub", "jti", "client_id", "scope"):
            if not isinstance(payload.get(name), str):
                raise _invalid(f"claim {name} missing or not a string")
        if not payload["sub"] or not payload["jti"]:
            raise _invalid("empty sub or jti")
        session_id = payload.get("sid")
        if session_id is not None and not (isinstance(session_id, str) and session_id):
            raise _invalid("claim sid not a non-empty string")
        return AccessClaims(
            subject=payload["sub"],
            client_id=payload["client_id"],
            scopes=frozenset(payload["scope"].split()),
            jti=payload["jti"],
            expires_at=exp,
            issued_at=iat,
            claims=MappingProxyType(payload),
            session_id=session_id,
        )

    def _signer(self, key: SigningKey) -> Key:
        signer = self._signers.get(key.kid)
        if signer is None:
            signer = self._signers[key.kid] = CryptographyECKey(key.private_key, ALGORITHM)
        return signer

    def _verifier(self, kid: str) -> Key:
        # Ask the KeyStore every time, so a key it no longer holds stops verifying at once.
        key = self._keys.get(kid)
        if key is None:
            raise _invalid("unknown kid")
        verifier = self._verifiers.get(kid)
        if verifier is None:
            public = key.private_key.public_key()
            verifier = self._verifiers[kid] = CryptographyECKey(public, ALGORITHM)
        return verifier


def _check_shape(token: object) -> None:
    if not isinstance(token, str):
        raise _invalid("token is not a string")
    if len(token) > MAX_TOKEN_LENGTH:
        raise _invalid("token too long")
    if not _COMPACT_JWS.fullmatch(token):
        raise _invalid("not a compact JWS")


def _check_header(header: Any) -> str:
    """Vet the unverified header; return its kid."""
    if not isinstance(header, dict):
        raise _invalid("header is not an object")
    if unexpected := header.keys() - _ALLOWED_HEADERS:
        raise _invalid(f"header parameters not allowed: {sorted(unexpected)}")
    if header.get("alg") != ALGORITHM:
        raise _invalid("alg must be ES256")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYPS:
        raise _invalid("typ must be at+jwt")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _invalid("kid missing")
    return kid


def _scope_string(scopes: Iterable[str]) -> str:
    if isinstance(scopes, str):
        raise TypeError("scopes must be an iterable of scope names, not a string")
    names = set(scopes)
    for name in names:
        if not isinstance(name, str) or not _SCOPE_TOKEN.fullmatch(name):
            raise ValueError(f"invalid scope name: {name!r}")
    return " ".join(sorted(names))


def _require_text(**values: object) -> None:
    for name, value in values.items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _invalid(reason: str) -> InvalidToken:
    # The reason goes to the log only: telling the caller which check failed helps forgers.
    log.debug("access token rejected: %s", reason)
    return InvalidToken()
