"""A resident's connected apps (list and disconnect, which ends the app's tokens at once), and
registering apps in the admin pages and the CLI; on both databases."""

from __future__ import annotations

import json

from sqlmodel import select
from typer.testing import CliRunner

from app.cli import cli
from app.models import OAuthClient, OAuthGrant
from tests.oauth.apps import REDIRECT_URI, Pkce, exchange, get_code, register_app
from tests.web.pages import csrf_of, post_form, sign_in, soup


def _connect(world, app, citizen):
    pkce = Pkce.new()
    code = get_code(world.client, citizen.email, app, pkce, scope="openid applications:read")
    tokens = exchange(world.client, app, code["code"], pkce.verifier)
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


def test_resident_sees_the_app_and_disconnecting_ends_its_tokens_at_once(world, db):
    app = register_app(world.runtime, name="JAKI Contoh", operator="Pemprov Contoh")
    other = register_app(world.runtime, name="Aplikasi Lain")
    citizen = world.user("citizen")
    tokens = _connect(world, app, citizen)
    kept = _connect(world, other, citizen)
    page = world.client.get("/account/apps", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    sections = soup(page).find_all("section", class_="connected-app")
    assert {section["data-client"] for section in sections} == {
        app.client.client_id,
        other.client.client_id,
    }
    text = soup(page).get_text(" ")
    assert "JAKI Contoh" in text and "Pemprov Contoh" in text
    assert "See your permit applications and history" in text
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert world.client.get("/api/v1/applications", headers=bearer).status_code == 200
    answer = post_form(
        world.client,
        f"/account/apps/{app.client.client_id}/disconnect",
        {},
        csrf_from="/account/apps",
    )
    assert answer.status_code == 303
    assert world.client.get("/api/v1/applications", headers=bearer).status_code == 401
    refreshed = world.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app.client.client_id, app.secret),
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    # The other app keeps working.
    other_bearer = {"Authorization": f"Bearer {kept['access_token']}"}
    assert world.client.get("/api/v1/applications", headers=other_bearer).status_code == 200
    with db() as session:
        assert [g.client_id for g in session.exec(select(OAuthGrant)).all()] == [
            other.client.client_id
        ]
    # Connecting again asks for consent again.
    again = world.client.get(
        "/oauth/authorize?"
        + "&".join(
            f"{k}={v}"
            for k, v in {
                "response_type": "code",
                "client_id": app.client.client_id,
                "redirect_uri": REDIRECT_URI,
                "scope": "openid",
                "code_challenge": Pkce.new().challenge,
                "code_challenge_method": "S256",
            }.items()
        ),
        follow_redirects=False,
    )
    assert again.status_code == 200


def test_disconnect_needs_csrf_and_only_touches_ones_own_grants(world):
    app = register_app(world.runtime)
    owner, stranger = world.user("citizen"), world.user("citizen")
    _connect(world, app, owner)
    page = world.client.get("/account/apps")
    token = csrf_of(page)
    path = f"/account/apps/{app.client.client_id}/disconnect"
    assert world.client.post(path, data={}, follow_redirects=False).status_code == 403
    world.client.cookies.clear()
    sign_in(world.client, stranger.email)
    token = csrf_of(world.client.get("/account/apps"))
    response = world.client.post(path, data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 404


def test_admin_registers_a_public_app_and_a_confidential_one(world, db):
    admin = world.user("admin")
    sign_in(world.client, admin.email)
    form = {
        "name": "Notaris Digital",
        "operator": "PT Notaris",
        "redirect_uris": "https://notaris.example/cb\nhttps://notaris.example/cb2",
        "scopes": ["openid", "applications:read"],
    }
    confidential = post_form(world.client, "/admin/clients/apps", form, csrf_from="/admin/clients")
    assert confidential.status_code == 200, confidential.text
    assert soup(confidential).find(attrs={"data-testid": "client-secret"}) is not None
    public = post_form(
        world.client,
        "/admin/clients/apps",
        {**form, "name": "Notaris HP", "public": "true"},
        csrf_from="/admin/clients",
    )
    assert public.status_code == 200
    assert soup(public).find(attrs={"data-testid": "client-secret"}) is None
    bad = post_form(
        world.client,
        "/admin/clients/apps",
        {**form, "redirect_uris": "http://notaris.example/cb"},  # http off the loopback
        csrf_from="/admin/clients",
    )
    assert bad.status_code == 422
    with db() as session:
        apps = session.exec(select(OAuthClient).order_by(OAuthClient.created_at)).all()
        assert [(a.name, a.public) for a in apps] == [
            ("Notaris Digital", False),
            ("Notaris HP", True),
        ]
        assert apps[0].redirect_uri_list == [
            "https://notaris.example/cb",
            "https://notaris.example/cb2",
        ]
        assert apps[1].secret_hash == ""


def test_cli_registers_an_app(settings, monkeypatch):
    monkeypatch.setenv("LOKET_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    base = ["clients", "create", "--name", "JAKI", "--grant", "authorization_code"]
    created = runner.invoke(
        cli,
        [
            *base,
            "--redirect-uri",
            "https://jaki.example/cb",
            "--redirect-uri",
            "id.jaki.app:/cb",
            "--scopes",
            "openid",
            "--scopes",
            "applications:read applications:write",
            "--public",
            "--json",
        ],
    )
    assert created.exit_code == 0, created.output
    fields = json.loads(created.stdout)  # the key file log line goes to stderr
    assert fields["client_secret"] is None
    assert fields["redirect_uris"] == "https://jaki.example/cb id.jaki.app:/cb"
    assert fields["scopes"] == "applications:read applications:write openid"
    listed = runner.invoke(cli, ["clients", "list"])
    assert "app" in listed.output and fields["client_id"] in listed.output
    no_uri = runner.invoke(cli, [*base, "--scopes", "openid"])
    assert no_uri.exit_code == 1 and "redirect" in no_uri.output.lower()
    wildcard = runner.invoke(
        cli, [*base, "--scopes", "openid", "--redirect-uri", "https://*.example/cb"]
    )
    assert wildcard.exit_code == 1
