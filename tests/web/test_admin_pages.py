"""Admin pages over HTTP: only admins get in; departments, officers, services and clients."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.workflow.definitions import get_workflow
from tests.web.pages import csrf_of, post_form, sign_in, soup

ADMIN_GETS = [
    "/admin",
    "/admin/departments",
    "/admin/departments/DINASA",
    "/admin/services",
    "/admin/services/SIMPLE",
    "/admin/clients",
]


@pytest.fixture
def admin(world, client):
    user = world.user("admin", name="Ayu Admin")
    assert sign_in(client, user.email).status_code == 303
    return user


@pytest.mark.parametrize("role", ["citizen", "officer"])
def test_non_admins_get_403_on_every_admin_page_and_post(world, client, role):
    user = world.user(role)
    officer = world.user("officer")
    sign_in(client, user.email)
    for path in ADMIN_GETS:
        assert client.get(path, follow_redirects=False).status_code == 403, path
    token = csrf_of(client.get("/"))
    posts = {
        "/admin/departments": {"code": "X", "name": "Dinas X"},
        "/admin/departments/DINASA/officers": {"email": "x@example.id"},
        f"/admin/officers/{officer.id}/roles": {"officer_roles": "approver"},
        f"/admin/officers/{officer.id}/active": {"active": "false"},
        "/admin/services/SIMPLE/active": {"active": "false"},
        "/admin/clients": {"name": "Sistem", "scopes": "pii:read"},
        "/admin/clients/lkt_x/active": {"active": "false"},
    }
    for path, data in posts.items():
        answer = client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)
        assert answer.status_code == 403, path
    assert world.client.get("/api/v1/services").json()["items"][0]["code"]  # nothing changed


def test_signed_out_visitors_are_sent_to_login(client):
    answer = client.get("/admin/services", follow_redirects=False)
    assert answer.headers["location"] == "/login?next=/admin/services"


def test_create_a_department_then_an_officer_in_it(client, admin):
    answer = post_form(client, "/admin/departments", {"code": "dinkes", "name": "Dinas Kesehatan"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/departments/DINKES?done=created"
    listing = soup(client.get("/admin/departments")).get_text()
    assert "Dinas Kesehatan" in listing

    again = post_form(client, "/admin/departments", {"code": "DINKES", "name": "Lagi"})
    assert again.status_code == 409 and "Kode dinas sudah ada" in again.text
    assert soup(again).find("input", attrs={"name": "name"})["value"] == "Lagi"  # input kept

    path = "/admin/departments/DINKES/officers"
    form = {
        "full_name": "Oki Petugas",
        "email": "oki@example.id",
        "password": "kopi tubruk pagi hari",
        "officer_roles": ["verifier", "approver"],
    }
    answer = post_form(client, path, form, csrf_from="/admin/departments/DINKES")
    assert answer.status_code == 303
    row = soup(client.get("/admin/departments/DINKES")).find(
        "tr", attrs={"data-officer": "oki@example.id"}
    )
    assert row is not None and "Oki Petugas" in row.get_text()
    assert len(row.select("input[name=officer_roles][checked]")) == 2

    no_roles = {**form, "email": "oka@example.id", "officer_roles": []}
    refused = post_form(client, path, no_roles, csrf_from="/admin/departments/DINKES")
    assert refused.status_code == 422 and soup(refused).find(id="error-summary")
    assert soup(refused).find("input", attrs={"name": "email"})["value"] == "oka@example.id"


def test_disabling_an_officer_ends_their_session_and_api_access(world, app, client, admin):
    officer = world.user("officer", officer_roles=("verifier",), email="vera@example.id")
    headers = world.headers(officer)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    officer_browser = TestClient(app)  # the officer's own browser, signed in
    sign_in(officer_browser, officer.email)
    assert officer_browser.get("/officer", follow_redirects=False).status_code == 200

    answer = post_form(
        client,
        f"/admin/officers/{officer.id}/active",
        {"active": "false", "confirm": "yes"},  # tests/web/test_confirmations.py asks first
        csrf_from="/admin/departments/DINASA",
    )
    assert answer.headers["location"] == "/admin/departments/DINASA?done=officer-disabled"

    lost = officer_browser.get("/officer", follow_redirects=False)
    assert lost.status_code == 303 and lost.headers["location"] == "/login?next=/officer"
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert sign_in(officer_browser, officer.email).status_code == 400  # cannot sign in again


def test_changing_an_officers_roles(world, client, admin):
    officer = world.user("officer", officer_roles=("verifier",), email="rudi@example.id")
    path = f"/admin/officers/{officer.id}/roles"
    answer = post_form(
        client, path, {"officer_roles": ["approver"]}, csrf_from="/admin/departments/DINASA"
    )
    assert answer.status_code == 303
    row = soup(client.get("/admin/departments/DINASA")).find(
        "tr", attrs={"data-officer": "rudi@example.id"}
    )
    checked = [box["value"] for box in row.select("input[name=officer_roles][checked]")]
    assert checked == ["approver"]
    refused = post_form(client, path, {}, csrf_from="/admin/departments/DINASA")
    assert refused.status_code == 422
    assert "verifier dan/atau approver" in soup(refused).get_text()


def test_deactivating_a_service_hides_it_and_refuses_new_applications(world, client, admin):
    citizen = world.user("citizen")
    answer = post_form(
        client,
        "/admin/services/SIMPLE/active",
        {"active": "false", "confirm": "yes"},
        csrf_from="/admin/services/SIMPLE",
    )
    assert answer.headers["location"] == "/admin/services/SIMPLE?done=deactivated"
    codes = [item["code"] for item in client.get("/api/v1/services").json()["items"]]
    assert "SIMPLE" not in codes and "TWO" in codes
    refused = client.post(
        "/api/v1/applications",
        headers=world.headers(citizen),
        json={"service_code": "SIMPLE", "data": world.default_data("SIMPLE")},
    )
    assert refused.status_code == 422 and "inactive service" in refused.text
    listing = soup(client.get("/admin/services")).find("tr", attrs={"data-service": "SIMPLE"})
    assert "Tidak ditawarkan" in listing.get_text()

    post_form(
        client,
        "/admin/services/SIMPLE/active",
        {"active": "true"},
        csrf_from="/admin/services/SIMPLE",
    )
    assert world.create(citizen, "SIMPLE")["state"] == "draft"


@pytest.mark.parametrize("code", ["SIMPLE", "TWO"])
def test_the_workflow_diagram_shows_every_state(client, admin, code):
    page = soup(client.get(f"/admin/services/{code}"))
    svg = page.find("svg", class_="workflow-diagram")
    assert svg is not None and svg.find("title").get_text()
    workflow = get_workflow("single_approval" if code == "SIMPLE" else "two_level")
    drawn = {group["data-state"] for group in svg.find_all("g", attrs={"data-state": True})}
    assert drawn == set(workflow.state_names)
    text = svg.get_text(" ")
    assert all(state in text for state in workflow.state_names)
    arrows = {(p["data-from"], p["data-to"]) for p in svg.find_all("path", attrs={"data-to": True})}
    expected = {
        (source, t.target) for t in workflow.transitions if t.target for source in t.sources
    }
    assert arrows == expected


def test_creating_a_client_shows_its_secret_once(client, admin):
    answer = post_form(
        client,
        "/admin/clients",
        {"name": "Dukcapil Provinsi", "scopes": ["applications:read", "pii:read"]},
    )
    assert answer.status_code == 200
    page = soup(answer)
    client_id = page.find(attrs={"data-testid": "client-id"}).get_text(strip=True)
    secret = page.find(attrs={"data-testid": "client-secret"}).get_text(strip=True)
    assert client_id.startswith("lkt_") and len(secret) > 30
    assert answer.headers["cache-control"] == "no-store"
    assert secret not in client.get("/admin/clients").text  # never shown again

    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert token.status_code == 200
    post_form(
        client,
        f"/admin/clients/{client_id}/active",
        {"active": "false"},
        csrf_from="/admin/clients",
    )
    row = soup(client.get("/admin/clients")).find("tr", attrs={"data-client": client_id})
    assert "Nonaktif" in row.get_text()
    refused = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert refused.status_code == 401

    empty = post_form(client, "/admin/clients", {"name": "Tanpa cakupan"})
    assert empty.status_code == 422 and soup(empty).find(id="error-summary")
