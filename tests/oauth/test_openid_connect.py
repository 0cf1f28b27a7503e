"""OpenID Connect: discovery, ID tokens (checked with PyJWT against the published JWKS only),
userinfo claims per scope, the NIK only for approved apps, pairwise subjects per sector."""

from __future__ import annotations

import jwt
import pytest

from tests.oauth.apps import Pkce, exchange, get_code, register_app

ALL = "openid profile email phone"


def _tokens(world, app, citizen, scope=ALL, **extra) -> dict:
    pkce = Pkce.new()
    code = get_code(world.client, citizen.email, app, pkce, scope=scope, **extra)["code"]
    response = exchange(world.client, app, code, pkce.verifier)
    assert response.status_code == 200, response.text
    world.client.cookies.clear()
    return response.json()


def _verify_id_token(world, token: str, audience: str) -> dict:
    jwks = world.client.get("/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid)
    return jwt.decode(
        token,
        key.key,
        algorithms=["ES256"],
        audience=audience,
        issuer="http://testserver",
        options={"require": ["exp", "iat", "sub", "aud", "iss"]},
    )


def test_discovery_document(world):
    body = world.client.get("/.well-known/openid-configuration").json()
    assert body["issuer"] == "http://testserver"
    assert body["userinfo_endpoint"] == "http://testserver/oauth/userinfo"
    assert body["id_token_signing_alg_values_supported"] == ["ES256"]
    assert body["subject_types_supported"] == ["pairwise"]
    assert body["code_challenge_methods_supported"] == ["S256"]


def test_id_token_carries_nonce_auth_time_acr_and_a_pairwise_subject(world):
    app = register_app(world.runtime, scopes=("openid", "profile", "email", "phone"))
    citizen = world.user("citizen")
    tokens = _tokens(world, app, citizen, nonce="n-0S6_WzA2Mj")
    claims = _verify_id_token(world, tokens["id_token"], app.client.client_id)
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["azp"] == app.client.client_id
    assert claims["acr"] == "urn:loket:acr:password"
    assert claims["iat"] - 120 <= claims["auth_time"] <= claims["iat"]
    assert claims["sub"] != str(citizen.id) and len(claims["sub"]) == 64
    assert claims["name"] == citizen.full_name and claims["email"] == citizen.email
    assert jwt.get_unverified_header(tokens["id_token"])["typ"] == "JWT"
    # An ID token is not an access token.
    headers = {"Authorization": f"Bearer {tokens['id_token']}"}
    assert world.client.get("/oauth/userinfo", headers=headers).status_code == 401


def test_userinfo_answers_the_claims_of_the_granted_scopes(world):
    app = register_app(world.runtime, scopes=("openid", "profile", "email"))
    citizen = world.user("citizen")
    narrow = _tokens(world, app, citizen, scope="openid email")
    headers = {"Authorization": f"Bearer {narrow['access_token']}"}
    info = world.client.get("/oauth/userinfo", headers=headers)
    assert info.status_code == 200, info.text
    assert info.json() == {
        "sub": _verify_id_token(world, narrow["id_token"], app.client.client_id)["sub"],
        "email": citizen.email,
    }
    assert world.client.post("/oauth/userinfo", headers=headers).json() == info.json()
    # Without the profile scope the app cannot read the profile through the API either.
    assert world.client.get("/api/v1/me", headers=headers).status_code == 403


def test_userinfo_needs_the_openid_scope_and_an_apps_token(world):
    app = register_app(world.runtime, scopes=("openid", "applications:read"))
    citizen = world.user("citizen")
    tokens = _tokens(world, app, citizen, scope="applications:read")
    assert "id_token" not in tokens
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert world.client.get("/oauth/userinfo", headers=headers).status_code == 403
    first_party = world.client.get("/oauth/userinfo", headers=world.headers(citizen))
    assert first_party.status_code == 403
    assert world.client.get("/oauth/userinfo").status_code == 401


@pytest.mark.parametrize("approved", [True, False])
def test_the_nik_only_for_an_app_an_admin_approved(world, approved):
    app = register_app(world.runtime, scopes=("openid", "nik"), nik_approved=approved)
    citizen = world.user("citizen")
    if not approved:
        from tests.oauth.apps import authorize_params, authorize_url, query_of
        from tests.web.pages import sign_in

        sign_in(world.client, citizen.email)
        params = authorize_params(app, Pkce.new(), scope="openid nik")
        response = world.client.get(authorize_url(params), follow_redirects=False)
        assert query_of(response.headers["location"])["error"] == "invalid_scope"
        return
    tokens = _tokens(world, app, citizen, scope="openid nik")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert world.client.get("/oauth/userinfo", headers=headers).json()["nik"] == citizen.nik


def test_pairwise_subjects_differ_between_sectors_and_match_within_one(world):
    citizen = world.user("citizen")
    a = register_app(
        world.runtime, scopes=("openid",), redirect_uris=["https://app.example.id/callback"]
    )
    same_sector = register_app(
        world.runtime, scopes=("openid",), redirect_uris=["https://app.example.id/callback"]
    )
    other = register_app(
        world.runtime,
        scopes=("openid",),
        redirect_uris=["https://app.example.id/callback"],
        sector="bank.example",
    )
    subjects = [
        _verify_id_token(
            world, _tokens(world, app, citizen, scope="openid")["id_token"], app.client.client_id
        )["sub"]
        for app in (a, same_sector, other)
    ]
    assert subjects[0] == subjects[1] != subjects[2]
