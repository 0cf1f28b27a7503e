"""Access tokens: round trip, forged tokens, PyJWT interop, key files and the verified cache."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from app.oauth import tokens as tokens_module
from app.oauth.keys import KEY_FILE_GLOB, KeyStore, SigningKey, write_key_file
from app.oauth.tokens import InvalidToken, TokenService

ISSUER = "https://loket.example.go.id"
AUDIENCE = f"{ISSUER}/api"
OTHER_AUDIENCE = "https://other.example.go.id/api"
TTL = 600
LEEWAY = 30
DROP = object()  # marks a header or claim to leave out


class FakeClock:
    """Starts at the real time, because jose also checks exp against the real clock."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def keystore(tmp_path: Path) -> KeyStore:
    return KeyStore.load_or_create(tmp_path / "keys")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(keystore: KeyStore, clock: FakeClock) -> TokenService:
    return TokenService(
        keystore,
        issuer=ISSUER,
        audience=AUDIENCE,
        ttl_seconds=TTL,
        leeway_seconds=LEEWAY,
        clock=clock,
    )


def issue(service: TokenService, subject: str = "user-1") -> str:
    return service.issue_access_token(subject=subject, client_id="portal", scopes=["profile"])[0]


# --- hand-built tokens: every part is under the test's control --------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def es256(private_key: ec.EllipticCurvePrivateKey) -> Callable[[bytes], bytes]:
    """A raw r||s ES256 signer (RFC 7518 3.4), written by hand so nothing refuses our input."""

    def sign(message: bytes) -> bytes:
        r, s = decode_dss_signature(private_key.sign(message, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    return sign


def hmac_signer(secret: bytes, digest: Any = hashlib.sha256) -> Callable[[bytes], bytes]:
    return lambda message: hmac.new(secret, message, digest).digest()


def build(header: dict, payload: Any, sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    return f"{signing_input}.{b64(sign(signing_input.encode('ascii')))}"


def _apply(base: dict, changes: dict) -> dict:
    merged = {**base, **changes}
    return {name: value for name, value in merged.items() if value is not DROP}


def good_header(ks: KeyStore, **changes: Any) -> dict:
    return _apply({"alg": "ES256", "typ": "at+jwt", "kid": ks.current.kid}, changes)


def good_claims(now: float, **changes: Any) -> dict:
    iat = int(now)
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "client_id": "portal",
        "scope": "profile",
        "iat": iat,
        "exp": iat + TTL,
        "jti": "a" * 32,
    }
    return _apply(base, changes)


def signed(ks: KeyStore, now: float, header: dict | None = None, claims: dict | None = None) -> str:
    """Properly ES256-signed by our current key: only the given changes can make it wrong."""
    return build(
        good_header(ks, **(header or {})),
        good_claims(now, **(claims or {})),
        es256(ks.current.private_key),
    )


def public_pem(ks: KeyStore) -> bytes:
    return ks.current.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_der(ks: KeyStore) -> bytes:
    return ks.current.private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def hmac_forgery(ks: KeyStore, now: float, secret: bytes, alg: str = "HS256") -> str:
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    return build(good_header(ks, alg=alg), good_claims(now), hmac_signer(secret, digest))


def flip_signature_byte(token: str) -> str:
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    return f"{head}.{payload}.{b64(bytes(raw))}"


def other_audience_token(ks: KeyStore, now: float) -> str:
    other = TokenService(ks, issuer=ISSUER, audience=OTHER_AUDIENCE, ttl_seconds=TTL)
    return issue(other)


def foreign_key_with_our_kid(ks: KeyStore, now: float) -> str:
    stranger = ec.generate_private_key(ec.SECP256R1())
    return build(good_header(ks), good_claims(now), es256(stranger))


def without_claim(name: str) -> Callable[[KeyStore, float], str]:
    return lambda ks, now: signed(ks, now, claims={name: DROP})


def non_object_payload(ks: KeyStore, now: float) -> str:
    return build(good_header(ks), [good_claims(now)], es256(ks.current.private_key))


# --- round trip --------------------------------------------------------------------------------


def test_issue_and_verify_round_trip(service: TokenService, keystore: KeyStore) -> None:
    token, expires_in = service.issue_access_token(
        subject="user-1",
        client_id="portal",
        scopes=["profile", "applications:read"],
        extra_claims={"acr": "password"},
    )
    claims = service.verify_access_token(token)

    assert expires_in == TTL
    assert pyjwt.get_unverified_header(token) == {
        "alg": "ES256",
        "typ": "at+jwt",
        "kid": keystore.current.kid,
    }
    assert (claims.subject, claims.client_id) == ("user-1", "portal")
    assert claims.scopes == {"profile", "applications:read"}
    assert claims.expires_at == claims.issued_at + TTL
    assert len(claims.jti) == 32 and int(claims.jti, 16) >= 0
    assert claims.claims["iss"] == ISSUER and claims.claims["aud"] == AUDIENCE
    assert claims.claims["scope"] == "applications:read profile"
    assert claims.claims["acr"] == "password"


def test_a_token_names_the_sign_in_it_belongs_to(service: TokenService) -> None:
    token, _ = service.issue_access_token(
        subject="user-1", client_id="portal", scopes=["profile"], session_id="family-1"
    )
    claims = service.verify_access_token(token)
    assert claims.session_id == "family-1" and claims.claims["sid"] == "family-1"
    assert service.verify_access_token(issue(service)).session_id is None
    with pytest.raises(ValueError, match="sid"):
        service.issue_access_token(
            subject="u", client_id="c", scopes=[], extra_claims={"sid": "family-2"}
        )


def test_verified_claims_are_read_only(service: TokenService) -> None:
    claims = service.verify_access_token(issue(service))
    with pytest.raises(TypeError):
        claims.claims["sub"] = "someone-else"  # type: ignore[index]


def test_each_token_gets_its_own_jti(service: TokenService) -> None:
    jtis = {service.verify_access_token(issue(service)).jti for _ in range(5)}
    assert len(jtis) == 5


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt"])
def test_hand_built_control_token_is_accepted(
    service: TokenService, keystore: KeyStore, clock: FakeClock, typ: str
) -> None:
    # Proves the forgery harness below builds valid tokens, so each forgery fails for its defect.
    token = signed(keystore, clock.now, header={"typ": typ})
    assert service.verify_access_token(token).subject == "user-1"


def test_the_longest_lifetime_and_latest_iat_within_leeway_are_accepted(
    service: TokenService, keystore: KeyStore, clock: FakeClock
) -> None:
    now = int(clock.now)
    longest = signed(keystore, now, claims={"exp": now + TTL + LEEWAY})
    assert service.verify_access_token(longest).expires_at == now + TTL + LEEWAY
    ahead = signed(keystore, now, claims={"iat": now + LEEWAY, "exp": now + LEEWAY + TTL})
    assert service.verify_access_token(ahead).issued_at == now + LEEWAY


def test_issue_refuses_reserved_extra_claims(service: TokenService) -> None:
    with pytest.raises(ValueError, match="aud"):
        service.issue_access_token(
            subject="u", client_id="c", scopes=[], extra_claims={"aud": OTHER_AUDIENCE}
        )


@pytest.mark.parametrize("scopes", [["has space"], ['quote"'], [""], "profile"])
def test_issue_refuses_bad_scopes(service: TokenService, scopes: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        service.issue_access_token(subject="u", client_id="c", scopes=scopes)


def test_leeway_above_sixty_seconds_is_refused(keystore: KeyStore) -> None:
    with pytest.raises(ValueError):
        TokenService(keystore, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=TTL, leeway_seconds=61)


# --- forgeries ---------------------------------------------------------------------------------

FORGERIES: dict[str, Callable[[KeyStore, float], str]] = {
    "alg-none-unsigned": lambda ks, now: (
        f"{b64json(good_header(ks, alg='none'))}.{b64json(good_claims(now))}."
    ),
    "alg-none-with-valid-es256-signature": lambda ks, now: signed(ks, now, {"alg": "none"}),
    "alg-es384-label": lambda ks, now: signed(ks, now, {"alg": "ES384"}),
    "hs256-public-key-pem": lambda ks, now: hmac_forgery(ks, now, public_pem(ks)),
    "hs256-public-key-pem-stripped": lambda ks, now: hmac_forgery(ks, now, public_pem(ks).strip()),
    "hs256-public-key-der": lambda ks, now: hmac_forgery(ks, now, public_der(ks)),
    "hs256-public-jwk-json": lambda ks, now: hmac_forgery(
        ks, now, json.dumps(ks.jwks()["keys"][0]).encode()
    ),
    "hs256-public-jwk-json-compact": lambda ks, now: hmac_forgery(
        ks, now, json.dumps(ks.jwks()["keys"][0], separators=(",", ":")).encode()
    ),
    "hs256-jwks-json": lambda ks, now: hmac_forgery(ks, now, json.dumps(ks.jwks()).encode()),
    # HS512 gives a 64-byte MAC, the length of an ES256 signature, so no length check saves us.
    "hs512-public-key-pem": lambda ks, now: hmac_forgery(ks, now, public_pem(ks), "HS512"),
    "no-aud": lambda ks, now: signed(ks, now, claims={"aud": DROP}),
    "wrong-aud": lambda ks, now: signed(ks, now, claims={"aud": OTHER_AUDIENCE}),
    "aud-list-without-us": lambda ks, now: signed(ks, now, claims={"aud": [OTHER_AUDIENCE]}),
    "wrong-iss": lambda ks, now: signed(ks, now, claims={"iss": "https://evil.example"}),
    "expired-beyond-leeway": lambda ks, now: signed(
        ks, now, claims={"iat": int(now) - TTL - LEEWAY - 5, "exp": int(now) - LEEWAY - 5}
    ),
    "issued-in-the-future": lambda ks, now: signed(
        ks, now, claims={"iat": int(now) + 3600, "exp": int(now) + 3600 + TTL}
    ),
    "not-yet-valid-nbf": lambda ks, now: signed(ks, now, claims={"nbf": int(now) + 3600}),
    # Signed with our key but living longer than we ever issue: a leaked signer's forgery.
    "lifetime-of-ten-to-the-thirty": lambda ks, now: signed(ks, now, claims={"exp": 10**30}),
    "lifetime-just-past-ttl-and-leeway": lambda ks, now: signed(
        ks, now, claims={"exp": int(now) + TTL + LEEWAY + 1}
    ),
    "backdated-iat-with-a-long-lifetime": lambda ks, now: signed(
        ks, now, claims={"iat": int(now) - 86400, "exp": int(now) + 60}
    ),
    "iat-just-past-leeway-ahead": lambda ks, now: signed(
        ks, now, claims={"iat": int(now) + LEEWAY + 1, "exp": int(now) + LEEWAY + 1 + TTL}
    ),
    "exp-as-numeric-string": lambda ks, now: signed(ks, now, claims={"exp": "99999999999"}),
    "exp-as-list": lambda ks, now: signed(ks, now, claims={"exp": [int(now) + TTL]}),
    "exp-infinity": lambda ks, now: signed(ks, now, claims={"exp": float("inf")}),
    "exp-as-boolean": lambda ks, now: signed(ks, now, claims={"exp": True}),
    "sub-not-a-string": lambda ks, now: signed(ks, now, claims={"sub": 42}),
    "sid-not-a-string": lambda ks, now: signed(ks, now, claims={"sid": 42}),
    "empty-sid": lambda ks, now: signed(ks, now, claims={"sid": ""}),
    "client-id-not-a-string": lambda ks, now: signed(ks, now, claims={"client_id": 42}),
    "scope-not-a-string": lambda ks, now: signed(ks, now, claims={"scope": ["profile"]}),
    "empty-sub": lambda ks, now: signed(ks, now, claims={"sub": ""}),
    "unknown-kid": lambda ks, now: signed(ks, now, {"kid": "no-such-key"}),
    "missing-kid": lambda ks, now: signed(ks, now, {"kid": DROP}),
    "kid-not-a-string": lambda ks, now: signed(ks, now, {"kid": ["x"]}),
    "embedded-jwk": lambda ks, now: signed(ks, now, {"jwk": ks.current.public_jwk}),
    "jku-header": lambda ks, now: signed(ks, now, {"jku": "https://evil.example/jwks.json"}),
    "x5u-header": lambda ks, now: signed(ks, now, {"x5u": "https://evil.example/cert.pem"}),
    "x5c-header": lambda ks, now: signed(ks, now, {"x5c": [b64(public_der(ks))]}),
    "crit-header": lambda ks, now: signed(ks, now, {"crit": ["exp"]}),
    "typ-jwt": lambda ks, now: signed(ks, now, {"typ": "JWT"}),
    "typ-certificate": lambda ks, now: signed(ks, now, {"typ": "loket-cert+jwt"}),
    "missing-typ": lambda ks, now: signed(ks, now, {"typ": DROP}),
    "valid-token-of-another-audience": other_audience_token,
    "signed-by-another-p256-key-with-our-kid": foreign_key_with_our_kid,
    "flipped-signature-byte": lambda ks, now: flip_signature_byte(signed(ks, now)),
    "payload-not-an-object": non_object_payload,
    "oversized-but-validly-signed": lambda ks, now: signed(ks, now, claims={"pad": "x" * 9000}),
    **{
        f"missing-{name}": without_claim(name)
        for name in ("iss", "sub", "exp", "iat", "jti", "client_id", "scope")
    },
}


def assert_rejected(service: TokenService, token: Any) -> None:
    with pytest.raises(InvalidToken) as caught:
        service.verify_access_token(token)
    assert caught.value.status == 401
    assert caught.value.slug == "invalid-token"
    assert caught.value.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_token_is_rejected(
    service: TokenService, keystore: KeyStore, clock: FakeClock, forge: Callable
) -> None:
    assert_rejected(service, forge(keystore, clock.now))


def test_certificate_signature_is_not_an_access_token(
    service: TokenService, clock: FakeClock
) -> None:
    # Even with every access-token claim in the payload, the certificate typ keeps it out.
    assert_rejected(service, service.sign_compact_jws(good_claims(clock.now)))


GARBAGE: list[Any] = [
    "",
    " ",
    "abc",
    "a.b",
    "a.b.c",
    "a.b.c.d",
    "....",
    "eyJ.eyJ.",
    "é.é.é",
    "a" * 9000,
    ".".join(["a" * 3000] * 3),
    None,
    b"a.b.c",
    12345,
    f"{b64(b'[' * 5000)}.{b64json({})}.{b64(b'x' * 64)}",  # deeply nested JSON header
    f"{b64(b'null')}.{b64json({})}.{b64(b'x' * 64)}",
    f"{b64(b'not json')}.{b64json({})}.{b64(b'x' * 64)}",
    f"{b64json({'alg': 'ES256'})}.{b64(b'not json')}.{b64(b'x' * 64)}",
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=[repr(g)[:30] for g in GARBAGE])
def test_garbage_is_rejected(service: TokenService, garbage: Any) -> None:
    assert_rejected(service, garbage)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: f"Bearer {t}",
        lambda t: f" {t}",
        lambda t: f"{t}=",
        lambda t: f"{t}.",
        lambda t: t.replace(".", "..", 1),
        lambda t: f"{t}.{t.split('.')[2]}",  # five segments, shaped like a JWE
        lambda t: t[:-1],
    ],
)
def test_mangled_real_token_is_rejected(service: TokenService, mangle: Callable) -> None:
    assert_rejected(service, mangle(issue(service)))


# --- interop -----------------------------------------------------------------------------------


def test_pyjwt_verifies_our_token_with_only_the_published_jwks(
    service: TokenService, keystore: KeyStore
) -> None:
    token = issue(service)
    published = json.loads(json.dumps(keystore.jwks()))  # as a client would fetch it
    jwk_set = pyjwt.PyJWKSet.from_dict(published)
    key = jwk_set[pyjwt.get_unverified_header(token)["kid"]]

    payload = pyjwt.decode(
        token,
        key,
        algorithms=["ES256"],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
    )
    assert payload["sub"] == "user-1" and payload["client_id"] == "portal"


def test_pyjwt_verifies_certificate_signature(service: TokenService, keystore: KeyStore) -> None:
    document = {"certificate": "SK-2026-000123", "holder": "Siti Rahayu"}
    signed_document = service.sign_compact_jws(document)
    jwk_set = pyjwt.PyJWKSet.from_dict(keystore.jwks())
    header = pyjwt.get_unverified_header(signed_document)

    assert header["typ"] == "loket-cert+jwt"
    key = jwk_set[header["kid"]]
    assert pyjwt.decode(signed_document, key, algorithms=["ES256"]) == document


# --- key store ---------------------------------------------------------------------------------


def test_load_or_create_twice_returns_the_same_key(tmp_path: Path) -> None:
    first = KeyStore.load_or_create(tmp_path / "keys")
    second = KeyStore.load_or_create(tmp_path / "keys")
    assert first.current.kid == second.current.kid
    assert len(list((tmp_path / "keys").glob(KEY_FILE_GLOB))) == 1


def test_key_file_and_directory_are_private(tmp_path: Path) -> None:
    KeyStore.load_or_create(tmp_path / "keys")
    [key_file] = (tmp_path / "keys").glob(KEY_FILE_GLOB)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert not list((tmp_path / "keys").glob("*.tmp"))


def test_jwks_has_no_private_parts(keystore: KeyStore) -> None:
    [jwk] = keystore.jwks()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")


def test_kid_is_the_rfc7638_thumbprint(keystore: KeyStore) -> None:
    jwk = keystore.jwks()["keys"][0]
    canonical = f'{{"crv":"P-256","kty":"EC","x":"{jwk["x"]}","y":"{jwk["y"]}"}}'
    assert jwk["kid"] == b64(hashlib.sha256(canonical.encode()).digest())


def test_concurrent_first_start_creates_one_key(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    with ThreadPoolExecutor(max_workers=8) as pool:
        stores = list(pool.map(lambda _: KeyStore.load_or_create(keys_dir), range(8)))
    assert len({store.current.kid for store in stores}) == 1
    assert len(list(keys_dir.glob(KEY_FILE_GLOB))) == 1


def test_newest_key_file_signs_and_older_keys_still_verify(
    tmp_path: Path, clock: FakeClock
) -> None:
    keys_dir = tmp_path / "keys"
    old_store = KeyStore.load_or_create(keys_dir)
    old_token = issue(TokenService(old_store, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=TTL))
    newer = SigningKey.generate(created_at=old_store.current.created_at + timedelta(days=1))
    write_key_file(keys_dir=keys_dir, key=newer)

    store = KeyStore.load_or_create(keys_dir)
    service = TokenService(store, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=TTL)
    assert store.current.kid == newer.kid
    assert [jwk["kid"] for jwk in store.jwks()["keys"]] == [newer.kid, old_store.current.kid]
    assert pyjwt.get_unverified_header(issue(service))["kid"] == newer.kid
    assert service.verify_access_token(old_token).subject == "user-1"


def test_key_file_of_another_curve_is_refused(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (keys_dir / "jwt-20260101T000000Z-p384.pem").write_bytes(p384)
    with pytest.raises(ValueError, match="P-256"):
        KeyStore.load_or_create(keys_dir)


def test_created_at_comes_from_the_file_name(tmp_path: Path) -> None:
    when = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    key = SigningKey.generate(created_at=when)
    path = write_key_file(keys_dir=tmp_path, key=key)
    assert path.name.startswith("jwt-20260301T083000Z-")
    assert KeyStore.load_or_create(tmp_path).current.created_at == when


# --- verified-token cache ----------------------------------------------------------------------


@pytest.fixture
def decode_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts full verifications by wrapping jose's jwt.decode as tokens.py calls it."""
    calls: list[str] = []
    real_decode = tokens_module.jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(tokens_module.jwt, "decode", counting_decode)
    return calls


def test_verified_token_is_served_from_cache(
    service: TokenService, decode_calls: list[str]
) -> None:
    token = issue(service)
    first = service.verify_access_token(token)
    second = service.verify_access_token(token)
    assert first == second
    assert len(decode_calls) == 1


def test_cached_token_is_rejected_once_expired(
    service: TokenService, clock: FakeClock, decode_calls: list[str]
) -> None:
    token = issue(service)
    service.verify_access_token(token)
    clock.advance(TTL + LEEWAY - 1)  # past exp but inside the leeway: still good, from cache
    service.verify_access_token(token)
    assert len(decode_calls) == 1

    clock.advance(2)
    assert_rejected(service, token)
    assert_rejected(service, token)  # the entry is gone, not served again


def test_cache_is_bounded(keystore: KeyStore, clock: FakeClock, decode_calls: list[str]) -> None:
    service = TokenService(
        keystore, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=TTL, cache_size=2, clock=clock
    )
    first, second, third = (issue(service, f"user-{n}") for n in range(3))
    for token in (first, second, third, third, first):
        service.verify_access_token(token)
    # third was a hit; first had been evicted by third, so it was verified again.
    assert decode_calls == [first, second, third, first]


def test_cache_size_zero_disables_caching(keystore: KeyStore, decode_calls: list[str]) -> None:
    service = TokenService(
        keystore, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=TTL, cache_size=0
    )
    token = issue(service)
    service.verify_access_token(token)
    service.verify_access_token(token)
    assert len(decode_calls) == 2


def test_rejected_token_is_not_cached(
    service: TokenService, keystore: KeyStore, clock: FakeClock, decode_calls: list[str]
) -> None:
    token = signed(keystore, clock.now, claims={"exp": "99999999999"})  # passes jose, not us
    assert_rejected(service, token)
    assert_rejected(service, token)
    assert len(decode_calls) == 2


def test_cache_under_concurrent_use(keystore: KeyStore) -> None:
    service = TokenService(
        keystore, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=TTL, cache_size=5
    )
    tokens = {f"user-{n}": issue(service, f"user-{n}") for n in range(20)}
    work = list(tokens.items()) * 10

    def check(item: tuple[str, str]) -> bool:
        subject, token = item
        return service.verify_access_token(token).subject == subject

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(check, work))
