"""Citizen self-registration over the API."""

from __future__ import annotations


def _register(client, **overrides):
    body = {
        "email": "siti@example.id",
        "password": "rahasia-panjang-sekali",
        "full_name": "Siti Rahmawati",
        "nik": "3171015503900002",
        **overrides,
    }
    return client.post("/api/v1/auth/register", json=body, headers={"Accept-Language": "en"})


def test_register_then_log_in(client):
    response = _register(client)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["role"] == "citizen" and body["nik_masked"] == "3171********0002"
    assert "nik" not in body and "password_hash" not in body
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": "siti@example.id",
            "password": "rahasia-panjang-sekali",
        },
    )
    assert token.status_code == 200


def test_invalid_nik_and_weak_password_are_reported_per_field(client):
    response = _register(client, nik="9971013002900001", password="password123")
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"nik", "password"}


def test_duplicate_email_or_nik_is_a_conflict(client):
    assert _register(client).status_code == 201
    again = _register(client, email="SITI@example.id", nik="3171011503900001")
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "email"
    same_nik = _register(client, email="lain@example.id")
    assert same_nik.status_code == 409
    assert same_nik.json()["errors"][0]["field"] == "nik"


def test_spaces_around_a_password_are_kept(client):
    assert _register(client, password="  kata sandi berspasi  ").status_code == 201
    login = client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": "siti@example.id",
            "password": "  kata sandi berspasi  ",
        },
    )
    assert login.status_code == 200


def test_registrations_per_address_are_limited_on_the_api_and_the_page_together(client, settings):
    from tests.web.pages import csrf_of

    limit = settings.registrations_per_hour
    for n in range(limit - 1):  # refused attempts count too: each has a bad NIK
        assert _register(client, email=f"w{n}@example.id", nik="1").status_code == 422
    token = csrf_of(client.get("/register"))
    page = client.post(
        "/register",
        data={"csrf_token": token, "email": "last@example.id"},
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 422  # the limit's last one, through the page
    refused = _register(client, email="one-more@example.id")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = client.post("/register", data={"csrf_token": token}, headers={"Accept-Language": "en"})
    assert page.status_code == 429 and "Too many requests" in page.text
