"""Machine clients: registration, client credentials, scopes, introspection, revocation,
webhook subscriptions, and a standard third-party OAuth client against a live server."""

from __future__ import annotations

import base64
import json

import pytest
from authlib.integrations.httpx_client import OAuth2Client
from typer.testing import CliRunner

from app.cli import cli
from app.db import transaction
from app.main import create_app
from app.oauth.clients import create_client
from app.runtime import build_runtime
from tests.factories import seed_catalogue
from tests.live import free_port, serving


def make_client(runtime, scopes: str, name: str = "Sistem Perizinan"):
    with transaction(runtime.engine) as session:
        created = create_client(
            session, passwords=runtime.passwords, name=name, scopes=scopes.split()
        )
    return created.client.client_id, created.secret


def token_for(client, client_id, secret, scope=None, basic=True):
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    if basic:
        auth = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return client.post("/oauth/token", data=data, headers={"Authorization": f"Basic {auth}"})
    return client.post(
        "/oauth/token", data={**data, "client_id": client_id, "client_secret": secret}
    )


def bearer(token):
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


def test_client_credentials_basic_and_post_with_scopes_limited(world):
    client_id, secret = make_client(world.runtime, "applications:read certificates:read")
    basic = token_for(world.client, client_id, secret)
    assert basic.status_code == 200, basic.text
    assert basic.json()["scope"] == "applications:read certificates:read"
    assert "refresh_token" not in basic.json()
    post = token_for(world.client, client_id, secret, scope="applications:read", basic=False)
    assert post.status_code == 200 and post.json()["scope"] == "applications:read"
    wider = token_for(world.client, client_id, secret, scope="applications:write")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("case", ["wrong-secret", "unknown-client", "disabled", "no-auth"])
def test_client_authentication_failures_are_invalid_client(world, case):
    client_id, secret = make_client(world.runtime, "applications:read")
    if case == "disabled":
        with transaction(world.runtime.engine) as session:
            from app.oauth.clients import set_active

            set_active(session, client_id=client_id, active=False)
    if case == "no-auth":
        response = world.client.post("/oauth/token", data={"grant_type": "client_credentials"})
    else:
        response = token_for(
            world.client,
            "lkt_nobody" if case == "unknown-client" else client_id,
            "salah" if case == "wrong-secret" else secret,
        )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_read_scope_sees_submitted_applications_without_personal_data(world):
    citizen = world.user("citizen")
    submitted = world.submitted(citizen)
    draft = world.create(citizen)
    client_id, secret = make_client(world.runtime, "applications:read")
    token = token_for(world.client, client_id, secret).json()["access_token"]
    listing = world.client.get("/api/v1/applications", headers=bearer(token)).json()
    assert [item["id"] for item in listing["items"]] == [submitted["id"]]
    assert (
        world.client.get(f"/api/v1/applications/{draft['id']}", headers=bearer(token)).status_code
        == 404
    )
    detail = world.client.get(f"/api/v1/applications/{submitted['id']}", headers=bearer(token))
    assert detail.status_code == 200
    assert citizen.nik not in detail.text and citizen.email not in detail.text
    refused = world.client.post(
        f"/api/v1/applications/{submitted['id']}/transitions",
        json={"action": "start_review", "version": detail.json()["version"]},
        headers=bearer(token),
    )
    assert refused.status_code == 403


def test_write_scope_applies_on_behalf_of_a_named_resident(world):
    citizen = world.user("citizen")
    client_id, secret = make_client(world.runtime, "applications:write")
    token = token_for(world.client, client_id, secret).json()["access_token"]
    created = world.client.post(
        "/api/v1/applications",
        headers=bearer(token),
        json={
            "service_code": "OTHER",
            "data": {"business_name": "Toko dari aplikasi kota"},
            "applicant_email": citizen.email,
        },
    )
    assert created.status_code == 201, created.text
    application = created.json()
    submitted = world.client.post(
        f"/api/v1/applications/{application['id']}/transitions",
        json={"action": "submit", "version": 1},
        headers=bearer(token),
    )
    assert submitted.status_code == 200, submitted.text
    events = world.client.get(
        f"/api/v1/applications/{application['id']}/events", headers=world.headers(citizen)
    ).json()["items"]
    assert events[0]["actor_type"] == "client" and events[0]["actor_id"] == client_id
    assert events[0]["details"] == {"on_behalf_of": str(citizen.id)}
    without_name = world.client.post(
        "/api/v1/applications", headers=bearer(token), json={"service_code": "OTHER", "data": {}}
    )
    assert without_name.status_code == 422


SCOPED_CALLS = [
    ("applications:read", "GET", "/api/v1/applications", None),
    (
        "applications:write",
        "POST",
        "/api/v1/applications",
        {"service_code": "OTHER", "data": {}, "applicant_email": "nobody@example.id"},
    ),
    ("webhooks:manage", "GET", "/api/v1/webhooks", None),
    ("certificates:read", "GET", "/api/v1/certificates/DINASA/SIMPLE/2026/000001", None),
]


@pytest.mark.parametrize(
    ("scope", "method", "path", "body"), SCOPED_CALLS, ids=[call[0] for call in SCOPED_CALLS]
)
def test_scope_matrix(world, scope, method, path, body):
    from app.oauth.clients import CLIENT_SCOPES

    for granted in sorted(CLIENT_SCOPES):
        client_id, secret = make_client(world.runtime, granted)
        token = token_for(world.client, client_id, secret).json()["access_token"]
        response = world.client.request(method, path, json=body, headers=bearer(token))
        if granted == scope:
            # 404 for the certificate: the scope let the request through to the lookup.
            assert response.status_code in (200, 201, 404, 422), (granted, response.text)
        else:
            assert response.status_code == 403, (granted, response.text)
            assert "insufficient_scope" in response.headers["www-authenticate"]


def test_introspection_and_revocation(world):
    client_id, secret = make_client(world.runtime, "applications:read")
    other_id, other_secret = make_client(world.runtime, "applications:read", name="Lain")
    token = token_for(world.client, client_id, secret).json()["access_token"]
    auth = {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}
    active = world.client.post("/oauth/introspect", data={"token": token}, headers=auth).json()
    assert active["active"] is True and active["client_id"] == client_id
    assert active["scope"] == "applications:read"
    assert world.client.post(
        "/oauth/introspect", data={"token": "sampah"}, headers=auth
    ).json() == {"active": False}
    unauthenticated = world.client.post("/oauth/introspect", data={"token": token})
    assert unauthenticated.status_code == 401

    # Another client cannot revoke our token; we can.
    world.client.post(
        "/oauth/revoke", data={"token": token, "client_id": other_id, "client_secret": other_secret}
    )
    assert world.client.get("/api/v1/applications", headers=bearer(token)).status_code == 200
    assert (
        world.client.post("/oauth/revoke", data={"token": token}, headers=auth).status_code == 200
    )
    assert world.client.get("/api/v1/applications", headers=bearer(token)).status_code == 401
    assert world.client.post("/oauth/introspect", data={"token": token}, headers=auth).json() == {
        "active": False
    }


def test_webhook_subscriptions(world):
    client_id, secret = make_client(world.runtime, "webhooks:manage")
    token = token_for(world.client, client_id, secret).json()["access_token"]
    world.runtime.settings.webhook_allowed_private = ["127.0.0.1"]
    created = world.client.post(
        "/api/v1/webhooks",
        headers=bearer(token),
        json={
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["application.*", "certificate.issued"],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["secret"].startswith("whsec_")
    private = world.client.post(
        "/api/v1/webhooks",
        headers=bearer(token),
        json={"url": "https://169.254.169.254/latest", "event_types": ["application.*"]},
    )
    assert private.status_code == 422 and private.json()["errors"][0]["field"] == "url"
    bad_type = world.client.post(
        "/api/v1/webhooks",
        headers=bearer(token),
        json={"url": "https://example.org/hook", "event_types": ["user.deleted"]},
    )
    assert bad_type.status_code == 422
    listing = world.client.get("/api/v1/webhooks", headers=bearer(token)).json()["items"]
    assert [item["id"] for item in listing] == [created.json()["id"]]
    assert "secret" not in listing[0]
    path = f"/api/v1/webhooks/{created.json()['id']}"
    other_id, other_secret = make_client(world.runtime, "webhooks:manage", name="Lain")
    other = token_for(world.client, other_id, other_secret).json()["access_token"]
    assert world.client.delete(path, headers=bearer(other)).status_code == 404
    assert world.client.delete(path, headers=bearer(token)).status_code == 204
    assert world.client.get(path, headers=bearer(token)).status_code == 404


def test_cli_creates_lists_and_disables_clients(settings, monkeypatch):
    monkeypatch.setenv("LOKET_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    created = runner.invoke(
        cli,
        [
            "clients",
            "create",
            "--name",
            "Bank DKI",
            "--scopes",
            "certificates:read certificates:verify",
            "--json",
        ],
    )
    assert created.exit_code == 0, created.output
    fields = json.loads(created.stdout)  # log lines (a new signing key) go to stderr
    assert fields["client_id"].startswith("lkt_") and len(fields["client_secret"]) >= 40
    listed = runner.invoke(cli, ["clients", "list"])
    assert fields["client_id"] in listed.output and "active" in listed.output
    assert fields["client_secret"] not in listed.output
    assert runner.invoke(cli, ["clients", "disable", fields["client_id"]]).exit_code == 0
    assert "disabled" in runner.invoke(cli, ["clients", "list"]).output
    bad = runner.invoke(cli, ["clients", "create", "--name", "X", "--scopes", "admin:all"])
    assert bad.exit_code == 1 and "Unknown" in bad.output


def test_key_rotation_keeps_old_tokens_valid(world, settings, monkeypatch):
    from app.oauth.keys import rotate

    client_id, secret = make_client(world.runtime, "applications:read")
    old = token_for(world.client, client_id, secret).json()["access_token"]
    new_key, removed = rotate(settings.keys_dir, retire_after_seconds=600)
    assert removed == []
    world.runtime.keys.refresh(force=True)
    new = token_for(world.client, client_id, secret).json()["access_token"]
    import jwt as pyjwt

    assert pyjwt.get_unverified_header(new)["kid"] == new_key.kid
    assert pyjwt.get_unverified_header(old)["kid"] != new_key.kid
    kids = [key["kid"] for key in world.client.get("/.well-known/jwks.json").json()["keys"]]
    assert kids[0] == new_key.kid and len(kids) == 2
    for token in (old, new):
        assert world.client.get("/api/v1/applications", headers=bearer(token)).status_code == 200
    # Once the successor is older than any token the old key signed, the old key goes.
    _, removed = rotate(settings.keys_dir, retire_after_seconds=-60)  # as if a minute later
    assert len(removed) == 2


@pytest.fixture
def live_server(settings):
    """The app on a real port, with the issuer equal to the address clients use (RFC 8414)."""
    port = free_port()
    live = settings.model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"})
    runtime = build_runtime(live)
    seed_catalogue(runtime)
    with serving(create_app(runtime=runtime), port) as base:
        yield runtime, base
    runtime.engine.dispose()


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_a_standard_oauth_client_works_without_custom_code(live_server, auth_method):
    runtime, base = live_server
    client_id, secret = make_client(runtime, "applications:read certificates:read")
    with OAuth2Client(
        client_id, secret, scope="applications:read", token_endpoint_auth_method=auth_method
    ) as oauth:
        discovery = f"{base}/.well-known/oauth-authorization-server"
        metadata = oauth.request("GET", discovery, withhold_token=True).json()
        assert metadata["issuer"] == base
        token = oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and token["scope"] == "applications:read"
        assert oauth.get(f"{base}/api/v1/applications").status_code == 200
        info = oauth.introspect_token(
            metadata["introspection_endpoint"], token=token["access_token"]
        ).json()
        assert info["active"] is True and info["client_id"] == client_id
        assert (
            oauth.revoke_token(
                metadata["revocation_endpoint"], token=token["access_token"]
            ).status_code
            == 200
        )
        assert oauth.get(f"{base}/api/v1/applications").status_code == 401
