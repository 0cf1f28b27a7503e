"""An app acting for a resident: the resident's own access limited by the granted scopes, every
action on the timeline as "app X for resident Y"; and the password grant as a setting."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.db import transaction
from app.oauth import clients
from app.oauth.service import server_metadata
from tests.oauth.apps import Pkce, exchange, get_code, register_app
from tests.web.pages import sign_in, soup

WRITE = "openid applications:read applications:write"


def _app_token(world, app, citizen, scope=WRITE) -> dict[str, str]:
    pkce = Pkce.new()
    code = get_code(world.client, citizen.email, app, pkce, scope=scope)["code"]
    body = exchange(world.client, app, code, pkce.verifier).json()
    world.client.cookies.clear()
    return {"Authorization": f"Bearer {body['access_token']}", "Accept-Language": "en"}


def test_an_app_applies_for_the_resident_and_the_timeline_names_it(world):
    app = register_app(world.runtime, name="JAKI Contoh")
    citizen = world.user("citizen")
    headers = _app_token(world, app, citizen)
    created = world.client.post(
        "/api/v1/applications",
        json={"service_code": "SIMPLE", "data": world.default_data("SIMPLE")},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    application = created.json()
    events = world.client.get(
        f"/api/v1/applications/{application['id']}/events", headers=headers
    ).json()["items"]
    first = events[0]
    assert first["actor_type"] == "user" and first["actor_id"] == str(citizen.id)
    assert first["details"]["via_app"] == app.client.client_id
    assert first["details"]["via_app_name"] == "JAKI Contoh"
    # The resident sees it in their own timeline, and owns the application.
    sign_in(world.client, citizen.email)
    page = world.client.get(
        f"/my/applications/{application['id']}", headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    assert "JAKI Contoh for You" in soup(page).get_text(" ")
    own = world.client.get("/api/v1/applications", headers=world.headers(citizen)).json()
    assert [item["id"] for item in own["items"]] == [application["id"]]


def test_the_app_sees_only_what_the_resident_sees(world):
    app = register_app(world.runtime)
    resident, neighbour = world.user("citizen"), world.user("citizen")
    theirs = world.create(neighbour)
    headers = _app_token(world, app, resident)
    assert (
        world.client.get(f"/api/v1/applications/{theirs['id']}", headers=headers).status_code == 404
    )
    listed = world.client.get("/api/v1/applications", headers=headers).json()
    assert listed["items"] == []


def test_an_apps_tokens_stop_when_an_admin_disables_the_app(world):
    app_a = register_app(world.runtime, name="A")
    citizen = world.user("citizen")
    headers = _app_token(world, app_a, citizen)
    mine = world.create(citizen)
    assert (
        world.client.get(f"/api/v1/applications/{mine['id']}", headers=headers).status_code == 200
    )
    with transaction(world.runtime.engine) as session:
        clients.set_active(session, client_id=app_a.client.client_id, active=False)
    refused = world.client.get(f"/api/v1/applications/{mine['id']}", headers=headers)
    assert refused.status_code == 401


def test_scopes_not_granted_are_refused_even_if_the_resident_could(world):
    app = register_app(world.runtime)
    citizen = world.user("citizen")
    headers = _app_token(world, app, citizen, scope="openid profile")
    response = world.client.get("/api/v1/applications", headers=headers)
    assert response.status_code == 403
    assert "insufficient_scope" in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    ("env", "setting", "enabled"),
    [
        ("development", None, True),
        ("production", None, False),
        ("production", True, True),
        ("development", False, False),
    ],
)
def test_password_grant_is_a_setting_off_in_production_by_default(env, setting, enabled):
    settings = (
        Settings(
            env=env,
            password_grant=setting,
            database_url="postgresql://x@y/z",
            public_base_url="https://loket.example",
            _env_file=None,
        )
        if env == "production"
        else Settings(password_grant=setting, _env_file=None)
    )
    assert settings.password_grant_enabled is enabled


def test_disabled_password_grant_answers_unsupported_grant_type(world, monkeypatch):
    citizen = world.user("citizen")
    monkeypatch.setattr(world.runtime.settings, "password_grant", False)
    response = world.client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": citizen.email, "password": "x" * 10},
    )
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"
    assert "password" not in server_metadata(world.runtime)["grant_types_supported"]
