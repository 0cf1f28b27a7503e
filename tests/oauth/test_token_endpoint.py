"""POST /oauth/token through HTTP: password grant, throttling, refresh rotation, discovery."""

from __future__ import annotations

import time
import uuid

import jwt
from sqlmodel import select

from tests.factories import PASSWORD


def login(client, email, password=PASSWORD, ip_headers=None, **extra):
    return client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": email, "password": password, **extra},
        headers=ip_headers or {},
    )


def test_password_grant_issues_rfc9068_token_usable_on_the_api(world):
    citizen = world.user("citizen")
    response = login(world.client, citizen.email.upper())  # e-mail is case-insensitive
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert response.headers["cache-control"] == "no-store"
    header = jwt.get_unverified_header(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    me = world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == citizen.email
    assert me.json()["nik_masked"].count("*") == 8


def test_unknown_email_and_wrong_password_look_the_same(world):
    citizen = world.user("citizen")
    wrong = login(world.client, citizen.email, "salah-sekali-123")
    unknown = login(world.client, "nobody@example.id", "salah-sekali-123")
    assert wrong.status_code == unknown.status_code == 400
    assert (
        wrong.json()
        == unknown.json()
        == {"error": "invalid_grant", "error_description": "E-mail atau kata sandi salah"}
    )


def test_failures_slow_down_the_account_then_a_correct_password_works_after_the_wait(world, db):
    from app.models import LoginThrottle

    citizen = world.user("citizen")
    for _ in range(world.runtime.settings.login_free_failures):
        assert login(world.client, citizen.email, "salah-sekali-123").status_code == 400
    throttled = login(world.client, citizen.email, PASSWORD)
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    # The wait is stored in the database (shared by all processes); let it pass.
    with db() as session:
        for row in session.exec(select(LoginThrottle)).all():
            row.next_attempt_at = None
            session.add(row)
    assert login(world.client, citizen.email, PASSWORD).status_code == 200


def test_refresh_token_rotates_and_reuse_revokes_the_family(world):
    citizen = world.user("citizen")
    first = login(world.client, citizen.email).json()
    second = world.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reuse = world.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # The stolen-token signal revoked the whole family, including the newest token.
    after = world.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": second.json()["refresh_token"]},
    )
    assert after.status_code == 400


def test_scope_can_be_narrowed_but_not_widened(world):
    citizen = world.user("citizen")
    narrow = login(world.client, citizen.email, scope="applications:read")
    assert narrow.status_code == 200 and narrow.json()["scope"] == "applications:read"
    token = narrow.json()["access_token"]
    write = world.client.post(
        "/api/v1/applications",
        json={"service_code": "SIMPLE", "data": {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert write.status_code == 403
    wide = login(world.client, citizen.email, scope="applications:read admin:everything")
    assert wide.status_code == 400 and wide.json()["error"] == "invalid_scope"


def test_disabled_account_cannot_log_in(world, db):
    from app.models import User

    citizen = world.user("citizen")
    with db() as session:
        user = session.get(User, citizen.id)
        user.is_active = False
        session.add(user)
    assert login(world.client, citizen.email).status_code == 400


def test_discovery_documents_and_pyjwt_interop(world):
    metadata = world.client.get("/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == "http://testserver"
    assert metadata["token_endpoint"] == "http://testserver/oauth/token"
    jwks = world.client.get(metadata["jwks_uri"].removeprefix("http://testserver")).json()
    citizen = world.user("citizen")
    token = login(world.client, citizen.email).json()["access_token"]
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(
        token,
        key,
        algorithms=["ES256"],
        audience="http://testserver/api",
        issuer="http://testserver",
    )
    assert claims["sub"] == str(citizen.id)
    assert set(claims) >= {"iss", "aud", "sub", "client_id", "scope", "exp", "iat", "jti"}


def test_a_long_lived_token_signed_with_our_own_key_is_refused(world):
    from tests.oauth.test_tokens import build, es256

    citizen = world.user("citizen")
    keys = world.runtime.keys
    now = int(time.time())
    claims = {
        "iss": "http://testserver",
        "aud": "http://testserver/api",
        "sub": str(citizen.id),
        "client_id": "loket-app",
        "scope": "profile applications:read",
        "iat": now,
        "jti": uuid.uuid4().hex,
    }
    header = {"alg": "ES256", "typ": "at+jwt", "kid": keys.current.kid}

    def me(exp: int):
        token = build(header, {**claims, "exp": exp}, es256(keys.current.private_key))
        return world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert me(now + 600).status_code == 200  # the harness builds tokens we accept
    forged = me(10**30)
    assert forged.status_code == 401
    assert forged.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_reusing_a_refresh_token_ends_its_familys_access_tokens_at_once(world):
    citizen = world.user("citizen")
    first = login(world.client, citizen.email).json()
    second = world.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    ).json()
    tokens = [first["access_token"], second["access_token"]]
    # Read once before: the process keeps what it learnt of a caller for a few seconds.
    for token in tokens:
        me = world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
    other_login = login(world.client, citizen.email).json()["access_token"]

    reuse = world.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert reuse.status_code == 400

    for token in tokens:
        headers = {"Authorization": f"Bearer {token}"}
        read = world.client.get("/api/v1/me", headers=headers)
        assert read.status_code == 401, read.text
        write = world.client.post(
            "/api/v1/applications",
            json={"service_code": "SIMPLE", "data": {"business_name": "Warung"}},
            headers=headers,
        )
        assert write.status_code == 401, write.text
    # Another sign-in of the same account is another family: it keeps working.
    still = world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {other_login}"})
    assert still.status_code == 200


def test_a_family_revoked_by_another_process_fails_writes_at_once_and_reads_within_recheck(
    world, db
):
    from datetime import timedelta

    from app.models import RevokedTokenFamily
    from app.models.base import utcnow

    world.runtime.settings.read_recheck_seconds = 0.3
    citizen = world.user("citizen")
    token = login(world.client, citizen.email).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/me", headers=headers).status_code == 200  # now cached
    family = uuid.UUID(world.runtime.tokens.verify_access_token(token).session_id)
    with db() as session:  # what another process's reuse detection writes; no forget_recent here
        session.add(RevokedTokenFamily(family_id=family, expires_at=utcnow() + timedelta(hours=1)))

    write = world.client.post(
        "/api/v1/applications",
        json={"service_code": "SIMPLE", "data": {"business_name": "Warung"}},
        headers=headers,
    )
    assert write.status_code == 401
    time.sleep(0.35)
    assert world.client.get("/api/v1/me", headers=headers).status_code == 401


def test_introspection_says_a_revoked_familys_token_is_inactive(world):
    from tests.oauth.test_clients import make_client

    client_id, secret = make_client(world.runtime, "applications:read")
    citizen = world.user("citizen")
    first = login(world.client, citizen.email).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    assert world.client.post("/oauth/token", data=refresh).status_code == 200
    assert world.client.post("/oauth/token", data=refresh).status_code == 400  # reused
    answer = world.client.post(
        "/oauth/introspect",
        data={"token": first["access_token"], "client_id": client_id, "client_secret": secret},
    )
    assert answer.json() == {"active": False}
