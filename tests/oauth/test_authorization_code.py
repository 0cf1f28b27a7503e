"""The authorization code grant with PKCE through HTTP, on both databases: /oauth/authorize,
the consent form, /oauth/token; and every refusal the RFCs name."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlmodel import select

from app.models import AuthorizationCode, OAuthGrant, RefreshToken
from app.models.base import utcnow
from tests.oauth.apps import (
    REDIRECT_URI,
    Pkce,
    authorize_params,
    authorize_url,
    consent,
    consent_form,
    exchange,
    get_code,
    query_of,
    register_app,
)
from tests.web.pages import sign_in, soup


@pytest.fixture
def app_client(world):
    return register_app(world.runtime)


def test_code_flow_gives_the_resident_token_limited_to_what_was_granted(world, app_client, db):
    citizen = world.user("citizen")
    pkce = Pkce.new()
    answer = get_code(world.client, citizen.email, app_client, pkce, state="xyz")
    assert answer["state"] == "xyz"
    assert answer["iss"] == "http://testserver"  # RFC 9207
    response = exchange(world.client, app_client, answer["code"], pkce.verifier)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    assert body["scope"] == "applications:read openid"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == app_client.client.client_id
    assert claims["sub"] == str(citizen.id)
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert world.client.get("/api/v1/applications", headers=headers).status_code == 200
    # applications:write was not asked for, so the app may not create a draft.
    created = world.client.post(
        "/api/v1/applications",
        json={"service_code": "SIMPLE", "data": world.default_data("SIMPLE")},
        headers=headers,
    )
    assert created.status_code == 403
    with db() as session:
        code = session.exec(select(AuthorizationCode)).one()
        assert code.used_at is not None and len(code.code_hash) == 64
        assert code.code_hash != answer["code"]  # only the hash is kept
        grant = session.exec(select(OAuthGrant)).one()
        assert grant.scope == "applications:read openid" and grant.user_id == citizen.id


def test_the_resident_must_sign_in_first_and_comes_back_to_the_request(world, app_client):
    citizen = world.user("citizen")
    params = authorize_params(app_client, Pkce.new())
    first = world.client.get(authorize_url(params), follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next=")
    back = sign_in(
        world.client, citizen.email, next_url=query_of(first.headers["location"])["next"]
    )
    assert back.status_code == 303
    page = world.client.get(back.headers["location"], follow_redirects=False)
    assert page.status_code == 200
    text = soup(page).get_text(" ")
    assert "Aplikasi Kota" in text and "PT Kota Digital" in text


def test_consent_page_names_each_scope_in_plain_words_and_some_can_be_refused(world, app_client):
    citizen = world.user("citizen")
    sign_in(world.client, citizen.email)
    pkce = Pkce.new()
    params = authorize_params(app_client, pkce, scope="openid applications:read applications:write")
    page = world.client.get(
        authorize_url(params), headers={"Accept-Language": "en"}, follow_redirects=False
    )
    _, offered = consent_form(page)
    assert offered == ["applications:read", "applications:write", "openid"]
    text = soup(page).get_text(" ")
    assert "Create, fill in and submit applications in your name" in text
    answer = consent(world.client, page, granted=["applications:read"])
    code = query_of(answer.headers["location"])["code"]
    body = exchange(world.client, app_client, code, pkce.verifier).json()
    assert body["scope"] == "applications:read"


def test_refusing_answers_access_denied_to_the_app_with_state_and_iss(world, app_client, db):
    citizen = world.user("citizen")
    sign_in(world.client, citizen.email)
    params = authorize_params(app_client, Pkce.new(), state="abc")
    page = world.client.get(authorize_url(params), follow_redirects=False)
    answer = consent(world.client, page, decision="deny")
    assert answer.status_code == 303
    query = query_of(answer.headers["location"])
    assert query["error"] == "access_denied" and query["state"] == "abc"
    assert query["iss"] == "http://testserver" and "code" not in query
    none_ticked = consent(world.client, page, granted=[])
    assert query_of(none_ticked.headers["location"])["error"] == "access_denied"
    with db() as session:
        assert session.exec(select(OAuthGrant)).first() is None


def test_a_second_request_within_the_grant_needs_no_consent(world, app_client):
    citizen = world.user("citizen")
    get_code(world.client, citizen.email, app_client, Pkce.new())
    again = world.client.get(
        authorize_url(authorize_params(app_client, Pkce.new())), follow_redirects=False
    )
    assert again.status_code == 303 and "code" in query_of(again.headers["location"])
    wider = world.client.get(
        authorize_url(authorize_params(app_client, Pkce.new(), scope="openid profile")),
        follow_redirects=False,
    )
    assert wider.status_code == 200  # a new scope: asked again


def test_public_app_redeems_with_its_id_and_verifier_only(world):
    app = register_app(world.runtime, public=True)
    assert app.secret is None
    citizen = world.user("citizen")
    pkce = Pkce.new()
    code = get_code(world.client, citizen.email, app, pkce)["code"]
    assert exchange(world.client, app, code, pkce.verifier).status_code == 200


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT_URI + "x",  # one character more
        REDIRECT_URI[:-1],  # one character less
        REDIRECT_URI + "/more",  # a path added
        "https://app.example.id/callback?next=https://evil.example",
        "https://evil.example/callback",
        "HTTPS://app.example.id/callback",  # not normalised: the exact string only
    ],
)
def test_unregistered_redirect_uri_is_a_page_never_a_redirect(world, app_client, redirect_uri):
    citizen = world.user("citizen")
    sign_in(world.client, citizen.email)
    params = authorize_params(app_client, Pkce.new(), redirect_uri=redirect_uri)
    response = world.client.get(authorize_url(params), follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "invalid_request" in soup(response).get_text(" ")


def test_unknown_client_and_duplicated_parameters_are_pages(world, app_client):
    params = authorize_params(app_client, Pkce.new(), client_id="lkt_nope")
    response = world.client.get(authorize_url(params), follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers
    twice = authorize_url(authorize_params(app_client, Pkce.new())) + "&redirect_uri=x"
    response = world.client.get(twice, follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


def test_a_system_client_cannot_start_the_code_flow(world):
    from app.db import transaction
    from app.oauth.clients import create_client

    with transaction(world.runtime.engine) as session:
        system = create_client(
            session, passwords=world.runtime.passwords, name="Dukcapil", scopes={"pii:read"}
        )
    params = authorize_params(system, Pkce.new())
    response = world.client.get(authorize_url(params), follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid pii:read"}, "invalid_scope"),
        ({"scope": "nik"}, "invalid_scope"),  # not approved for this app
        ({"scope": None}, "invalid_scope"),
    ],
)
def test_bad_requests_from_a_registered_app_go_back_with_the_rfc_error(
    world, app_client, overrides, error
):
    # Before signing in: the request is checked before the resident is asked anything.
    params = authorize_params(app_client, Pkce.new(), state="s1", **overrides)
    response = world.client.get(authorize_url(params), follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = query_of(location)
    assert query["error"] == error and query["state"] == "s1"
    assert query["iss"] == "http://testserver"


def test_prompt_none_without_a_session_answers_login_required(world, app_client):
    params = authorize_params(app_client, Pkce.new(), prompt="none")
    response = world.client.get(authorize_url(params), follow_redirects=False)
    assert query_of(response.headers["location"])["error"] == "login_required"


def test_staff_accounts_cannot_connect_apps(world, app_client):
    officer = world.user("officer")
    sign_in(world.client, officer.email)
    params = authorize_params(app_client, Pkce.new())
    assert world.client.get(authorize_url(params), follow_redirects=False).status_code == 403


def test_consent_needs_the_csrf_token(world, app_client):
    citizen = world.user("citizen")
    sign_in(world.client, citizen.email)
    page = world.client.get(
        authorize_url(authorize_params(app_client, Pkce.new())), follow_redirects=False
    )
    hidden, offered = consent_form(page)
    hidden.pop("csrf_token")
    response = world.client.post(
        "/oauth/consent",
        data={**hidden, "decision": "approve", "granted": offered},
        follow_redirects=False,
    )
    assert response.status_code == 403 and "location" not in response.headers


# The token endpoint's refusals (RFC 6749 5.2, RFC 7636 4.6)


def test_a_code_works_once_and_its_replay_revokes_the_tokens_it_gave(world, app_client):
    citizen = world.user("citizen")
    pkce = Pkce.new()
    code = get_code(world.client, citizen.email, app_client, pkce)["code"]
    first = exchange(world.client, app_client, code, pkce.verifier)
    assert first.status_code == 200
    headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert world.client.get("/api/v1/applications", headers=headers).status_code == 200
    again = exchange(world.client, app_client, code, pkce.verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert world.client.get("/api/v1/applications", headers=headers).status_code == 401
    refreshed = world.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]},
        auth=(app_client.client.client_id, app_client.secret),
    )
    assert refreshed.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "verifier",
    [None, "", "x" * 43, "short", Pkce.new().verifier],
    ids=["missing", "empty", "wrong", "malformed", "another"],
)
def test_wrong_or_missing_verifier_is_invalid_grant_and_burns_the_code(world, app_client, verifier):
    citizen = world.user("citizen")
    pkce = Pkce.new()
    code = get_code(world.client, citizen.email, app_client, pkce)["code"]
    refused = exchange(world.client, app_client, code, verifier)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert exchange(world.client, app_client, code, pkce.verifier).status_code == 400


def test_redirect_uri_must_match_the_authorization_request(world, app_client):
    citizen = world.user("citizen")
    pkce = Pkce.new()
    code = get_code(world.client, citizen.email, app_client, pkce)["code"]
    refused = exchange(
        world.client, app_client, code, pkce.verifier, redirect_uri=REDIRECT_URI + "/x"
    )
    assert refused.json()["error"] == "invalid_grant"


def test_expired_code_is_invalid_grant(world, app_client, db):
    citizen = world.user("citizen")
    pkce = Pkce.new()
    code = get_code(world.client, citizen.email, app_client, pkce)["code"]
    with db() as session:
        row = session.exec(select(AuthorizationCode)).one()
        assert row.expires_at - utcnow() <= timedelta(seconds=60)
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    assert (
        exchange(world.client, app_client, code, pkce.verifier).json()["error"] == "invalid_grant"
    )


def test_another_app_cannot_redeem_the_code_nor_an_app_without_its_secret(world, app_client):
    other = register_app(world.runtime, name="Aplikasi Lain")
    citizen = world.user("citizen")
    pkce = Pkce.new()
    code = get_code(world.client, citizen.email, app_client, pkce)["code"]
    stolen = exchange(world.client, other, code, pkce.verifier)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    no_secret = world.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": pkce.verifier,
            "client_id": app_client.client.client_id,
        },
    )
    assert no_secret.status_code == 401 and no_secret.json()["error"] == "invalid_client"
    # Neither attempt used the code up.
    assert exchange(world.client, app_client, code, pkce.verifier).status_code == 200


def test_refresh_rotates_within_the_app_and_only_for_that_app(world, app_client, db):
    citizen = world.user("citizen")
    pkce = Pkce.new()
    code = get_code(world.client, citizen.email, app_client, pkce)["code"]
    tokens = exchange(world.client, app_client, code, pkce.verifier).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    # Loket's own app (no client authentication) may not use the app's refresh token.
    assert world.client.post("/oauth/token", data=refresh).json()["error"] == "invalid_grant"
    rotated = world.client.post(
        "/oauth/token", data=refresh, auth=(app_client.client.client_id, app_client.secret)
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["refresh_token"] != tokens["refresh_token"]
    claims = jwt.decode(rotated.json()["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == app_client.client.client_id
    with db() as session:
        rows = session.exec(select(RefreshToken)).all()
        assert {row.client_id for row in rows} == {app_client.client.client_id}
        assert len({row.family_id for row in rows}) == 1


def test_an_app_cannot_use_client_credentials(world, app_client):
    response = world.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(app_client.client.client_id, app_client.secret),
    )
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"


def test_metadata_announces_the_code_flow(world):
    body = world.client.get("/.well-known/oauth-authorization-server").json()
    assert body["authorization_endpoint"] == "http://testserver/oauth/authorize"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["authorization_response_iss_parameter_supported"] is True
    assert "authorization_code" in body["grant_types_supported"]
