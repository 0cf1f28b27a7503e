"""Web sessions and CSRF: rotation at login, logout and disabling end sessions on the server,
timeouts, cross-site posts refused, cookies flagged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from app.accounts.sessions import HOST_COOKIE, PLAIN_COOKIE
from app.models import User, WebSession
from app.models.base import utcnow
from tests.web.pages import csrf_of, sign_in, soup


@pytest.fixture
def citizen(world):
    return world.user("citizen", name="Rina Wati")


def signed_in_name(client) -> str | None:
    marker = soup(client.get("/")).find(attrs={"data-testid": "signed-in-as"})
    return marker.get_text(strip=True) if marker else None


def test_login_rotates_the_session_so_a_cookie_from_before_login_is_worthless(client, citizen):
    client.get("/login")
    before = client.cookies.get(PLAIN_COOKIE)
    assert before  # the login form's anonymous session

    answer = sign_in(client, citizen.email)
    assert answer.status_code == 303
    after = client.cookies.get(PLAIN_COOKIE)
    assert after and after != before
    assert signed_in_name(client) == "Rina Wati"

    client.cookies.set(PLAIN_COOKIE, before)  # an attacker who planted the old cookie
    assert signed_in_name(client) is None


def test_logout_ends_the_session_on_the_server(client, citizen):
    sign_in(client, citizen.email)
    cookie = client.cookies.get(PLAIN_COOKIE)
    token = csrf_of(client.get("/"))
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )

    client.cookies.set(PLAIN_COOKIE, cookie)  # replaying the old cookie
    assert signed_in_name(client) is None
    answer = client.get("/account", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/account"


def test_a_lost_session_goes_to_login_and_back(client, citizen):
    answer = client.get("/account?tab=profile", follow_redirects=False)
    assert answer.headers["location"] == "/login?next=/account%3Ftab%3Dprofile"
    answer = sign_in(client, citizen.email, next_url="/account?tab=profile")
    assert answer.headers["location"] == "/account?tab=profile"
    assert "Rina Wati" in client.get(answer.headers["location"]).text


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_never_sends_the_browser_off_site(client, citizen, next_url):
    answer = sign_in(client, citizen.email, next_url=next_url)
    assert answer.headers["location"] == "/my/applications"


def test_disabling_an_account_ends_its_sessions(client, citizen, db):
    sign_in(client, citizen.email)
    with db() as session:
        session.execute(update(User).where(User.id == citizen.id).values(is_active=False))
    assert signed_in_name(client) is None
    with db() as session:
        left = session.exec(select(WebSession).where(WebSession.user_id == citizen.id)).all()
        assert left == []


@pytest.mark.parametrize("column", ["last_seen_at", "expires_at"])
def test_idle_and_absolute_timeouts_end_the_session(client, citizen, db, settings, column):
    sign_in(client, citizen.email)
    assert signed_in_name(client) == "Rina Wati"
    moment = {  # just past the idle limit, or just past the absolute end
        "last_seen_at": utcnow() - timedelta(minutes=settings.session_idle_minutes, seconds=1),
        "expires_at": utcnow() - timedelta(seconds=1),
    }[column]
    with db() as session:
        session.execute(
            update(WebSession).where(WebSession.user_id == citizen.id).values({column: moment})
        )
    assert signed_in_name(client) is None


def test_session_cookie_is_http_only_and_same_site_lax(client, citizen):
    answer = sign_in(client, citizen.email)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{PLAIN_COOKIE}=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()


def test_over_https_the_cookie_is_secure_with_the_host_prefix(world, runtime, citizen):
    from fastapi.testclient import TestClient

    from app.main import create_app

    secure = runtime.settings.model_copy(update={"public_base_url": "https://loket.example"})
    runtime.settings = secure
    with TestClient(create_app(runtime=runtime), base_url="https://loket.example") as client:
        token = csrf_of(client.get("/login"))
        answer = client.post(
            "/login",
            data={"csrf_token": token, "email": citizen.email, "password": "kata-sandi-uji-coba"},
            follow_redirects=False,
        )
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{HOST_COOKIE}=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie


def test_a_form_without_the_csrf_token_is_refused(client, citizen):
    client.get("/login")
    answer = client.post(
        "/login",
        data={"email": citizen.email, "password": "kata-sandi-uji-coba"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert client.cookies.get(PLAIN_COOKIE) is not None
    assert signed_in_name(client) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_a_cross_site_post_is_refused_even_with_a_valid_token(client, citizen, headers):
    token = csrf_of(client.get("/login"))
    answer = client.post(
        "/login",
        data={"csrf_token": token, "email": citizen.email, "password": "kata-sandi-uji-coba"},
        headers=headers,
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "text/html" in answer.headers["content-type"]
    assert signed_in_name(client) is None


def test_a_wrong_password_keeps_the_e_mail_and_says_why_without_telling_which(client, citizen):
    token = csrf_of(client.get("/login"))
    answer = client.post(
        "/login",
        data={"csrf_token": token, "email": citizen.email, "password": "salah"},
        headers={"Accept-Language": "en"},
    )
    page = soup(answer)
    assert answer.status_code == 400
    assert "Wrong e-mail or password" in page.find(id="error-summary").get_text()
    assert page.find(id="field-email")["value"] == citizen.email
    unknown = client.post(
        "/login",
        data={"csrf_token": token, "email": "nobody@example.id", "password": "salah"},
        headers={"Accept-Language": "en"},
    )
    assert (
        soup(unknown).find(id="error-summary").get_text()
        == page.find(id="error-summary").get_text()
    )


def test_changing_the_password_signs_out_other_devices_and_keeps_this_one(world, client, citizen):
    from fastapi.testclient import TestClient

    from tests.web.pages import post_form

    with TestClient(client.app) as other_device:
        sign_in(other_device, citizen.email)
        sign_in(client, citizen.email)
        wrong = post_form(
            client,
            "/account/password",
            {"current_password": "salah", "new_password": "teh hangat di sore hari"},
            csrf_from="/account",
        )
        assert wrong.status_code == 422
        assert soup(wrong).find(id="error-current_password") is not None
        answer = post_form(
            client,
            "/account/password",
            {"current_password": "kata-sandi-uji-coba", "new_password": "teh hangat di sore hari"},
            csrf_from="/account",
        )
        assert answer.status_code == 303
        assert signed_in_name(client) == "Rina Wati"
        assert signed_in_name(other_device) is None
    assert sign_in(client, citizen.email, "teh hangat di sore hari").status_code == 303


# --- a form posted after the session ended (issue 13, item 1) ---------------------------------


def _expire_and_post(client, world, citizen, path: str, data: dict, **headers):
    """Sign in, open ``path``'s page, lose the session, post ``data``: the answer to the post."""
    from app.accounts import repository
    from app.db import transaction

    sign_in(client, citizen.email)
    token = csrf_of(client.get("/account"))
    with transaction(world.runtime.engine) as session:
        repository.delete_web_sessions_of(session, citizen.id)
    return client.post(
        path,
        data={"csrf_token": token, **data},
        headers={"referer": "http://testserver/account", **headers},
        follow_redirects=False,
    )


def test_a_post_after_the_session_ended_goes_to_login_and_back_to_its_page(client, world, citizen):
    from app.models import KeptForm

    answer = _expire_and_post(
        client,
        world,
        citizen,
        "/account/password",
        {"current_password": "rahasia lama", "new_password": "rahasia baru", "note": "x"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/account"  # the page, not the POST path
    with world.runtime.engine.connect() as connection:
        (kept,) = connection.execute(select(KeptForm)).all()
    assert kept.fields == {"note": "x"}  # never a password
    assert kept.return_path == "/account"


def test_a_cross_site_post_after_the_session_ended_keeps_nothing(client, world, citizen):
    from app.models import KeptForm

    answer = _expire_and_post(
        client,
        world,
        citizen,
        "/account/password",
        {"note": "x"},
        **{"sec-fetch-site": "cross-site"},
    )
    assert answer.status_code == 303
    with world.runtime.engine.connect() as connection:
        assert connection.execute(select(KeptForm)).all() == []
