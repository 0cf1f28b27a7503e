"""A forgotten password, reset through the link a real SMTP server (aiosmtpd) received: the
same answer whether the address has an account, one use, 30 minutes, every session ended."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import select

from app.config import Settings
from app.models import OutboxMessage, PasswordReset, RefreshToken
from app.models.base import utcnow
from app.notifications.dispatcher import Dispatcher
from tests.factories import PASSWORD
from tests.web.mail import Inbox, mail_settings, running_inbox
from tests.web.pages import csrf_of, post_form, sign_in, soup

NEW_PASSWORD = "sate padang pedas sekali"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    yield from running_inbox()


@pytest.fixture
def settings(settings, inbox) -> Settings:
    return mail_settings(settings, inbox[1]).model_copy(
        update={"public_base_url": "http://loket.example.id"}
    )


def deliver(world, mailbox: Inbox) -> list[tuple[list[str], EmailMessage]]:
    Dispatcher(world.runtime.engine, world.runtime.settings).run_once()
    return mailbox.received


def link_in(mail: EmailMessage) -> str:
    """The reset link's path and query, as the person would open it from the e-mail."""
    found = re.search(r"http://loket\.example\.id(/password/reset\?token=\S+)", mail.get_content())
    assert found, mail.get_content()
    return found.group(1)


def ask_for_link(client, email: str):
    forgot = client.get("/password/forgot")
    return client.post(
        "/password/forgot",
        data={"csrf_token": csrf_of(forgot), "email": email},
        follow_redirects=False,
    )


def set_password(client, path: str, password: str):
    form = client.get(path)
    return client.post(
        "/password/reset",
        data={
            "csrf_token": csrf_of(form),
            "token": soup(form).find("input", attrs={"name": "token"})["value"],
            "new_password": password,
        },
        follow_redirects=False,
    )


def test_a_password_is_reset_through_the_link_in_the_mail(world, app, client, db, inbox):
    citizen = world.user("citizen", name="Rina Kartika", email="rina@example.id")
    with db() as session:
        session.add(
            RefreshToken(
                token_hash="a" * 64,
                family_id=uuid.uuid4(),
                user_id=citizen.id,
                client_id="loket-mobile",
                scope="applications:read",
                expires_at=utcnow() + timedelta(days=30),
            )
        )
    elsewhere = TestClient(app)  # the same person, signed in on another device
    assert sign_in(elsewhere, citizen.email).status_code == 303

    login = soup(client.get("/login"))
    assert login.find("a", string="Lupa kata sandi?")["href"] == "/password/forgot"
    asked = ask_for_link(client, "Rina@Example.id ")
    assert asked.status_code == 303
    sent = soup(client.get(asked.headers["location"]))
    assert "30 menit" in sent.find(attrs={"data-testid": "reset-sent"}).get_text()

    received = deliver(world, inbox[0])
    assert [to for to, _ in received] == [["rina@example.id"]]
    mail = received[0][1]
    assert mail["Subject"] == "Atur ulang kata sandi Loket Anda"
    assert "Rina Kartika" in mail.get_content() and "30 menit" in mail.get_content()
    path = link_in(mail)
    token = path.partition("token=")[2]
    with db() as session:
        stored = session.exec(select(PasswordReset)).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64  # a hash only
        sent = session.exec(select(OutboxMessage)).one()
        assert sent.status == "sent" and token not in str(sent.payload)  # forgotten once sent

    weak = set_password(client, path, "12345678")
    assert weak.status_code == 422
    assert soup(weak).find(id="error-summary") is not None
    done = set_password(client, path, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
    notice = soup(client.get("/login?reset=1")).find(attrs={"data-testid": "reset-done"})
    assert "keluar dari semua perangkat" in notice.get_text()

    lost = elsewhere.get("/my/applications", follow_redirects=False)
    assert lost.status_code == 303 and lost.headers["location"].startswith("/login")
    with db() as session:
        token_row = session.exec(select(RefreshToken)).one()
        assert token_row.revoked_at is not None
    assert sign_in(client, citizen.email, PASSWORD).status_code == 400
    assert sign_in(client, citizen.email, NEW_PASSWORD).status_code == 303

    again = client.get(path)  # single use
    assert again.status_code == 400
    assert "sudah tidak berlaku" in soup(again).find(attrs={"data-testid": "link-invalid"}).text
    replay = client.post(
        "/password/reset",
        data={"csrf_token": csrf_of(client.get("/")), "token": token, "new_password": "x" * 20},
    )
    assert replay.status_code == 400
    assert sign_in(TestClient(app), citizen.email, NEW_PASSWORD).status_code == 303


def test_an_unknown_address_gets_the_same_answer_and_no_mail(world, client, db, inbox):
    world.user("citizen", email="ada@example.id")
    known = ask_for_link(client, "ada@example.id")
    unknown = ask_for_link(client, "tidak-ada@example.id")
    assert (known.status_code, known.headers["location"]) == (
        unknown.status_code,
        unknown.headers["location"],
    )
    assert known.content == unknown.content
    received = deliver(world, inbox[0])
    assert [to for to, _ in received] == [["ada@example.id"]]
    with db() as session:
        events = [m.event_type for m in session.exec(select(OutboxMessage))]
    assert events == ["account.password_reset_requested"]  # an e-mail, no webhook


def test_a_link_older_than_thirty_minutes_no_longer_works(world, client, db, inbox):
    world.user("citizen", email="lama@example.id")
    ask_for_link(client, "lama@example.id")
    path = link_in(deliver(world, inbox[0])[0][1])
    with db() as session:
        session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(path).status_code == 400
    assert set_password_directly(client, path).status_code == 400
    assert client.get("/password/reset?token=nonsense").status_code == 400
    assert client.get("/password/reset").status_code == 400


def set_password_directly(client, path: str):
    return client.post(
        "/password/reset",
        data={
            "csrf_token": csrf_of(client.get("/login")),
            "token": path.partition("token=")[2],
            "new_password": NEW_PASSWORD,
        },
    )


def test_requests_for_one_address_are_throttled_whether_or_not_it_exists(world, client, inbox):
    world.user("citizen", email="banjir@example.id")
    for address in ("banjir@example.id", "siapa@example.id"):
        statuses = [ask_for_link(client, address).status_code for _ in range(6)]
        assert statuses[:3] == [303, 303, 303]  # password_reset_free_requests
        assert 429 in statuses
        refused = ask_for_link(client, address)
        if refused.status_code == 429:
            assert refused.headers["retry-after"]
            assert "Coba lagi dalam" in soup(refused).get_text()
    assert len(deliver(world, inbox[0])) <= 4  # not one for every request


def test_the_one_time_password_from_the_counter_is_changed_at_first_sign_in(world, client):
    officer = world.user("officer", name="Petugas Ani")
    sign_in(client, officer.email)
    created = post_form(
        client,
        "/officer/assisted/residents",
        {
            "full_name": "Pak Slamet",
            "nik": "3171011503901234",
            "email": "slamet@example.id",
            "phone": "",
        },
        csrf_from="/officer/assisted",
    )
    assert created.status_code == 201
    one_time = soup(created).select_one("[data-testid=one-time-password]").get_text(strip=True)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/"))})

    signed_in = sign_in(client, "slamet@example.id", one_time, next_url="/my/applications")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account?first=1"
    held = client.get("/my/applications", follow_redirects=False)
    assert held.status_code == 303 and held.headers["location"] == "/account?first=1"
    account = soup(client.get("/account?first=1"))
    assert "dibuat oleh petugas loket" in account.find(attrs={"data-testid": "must-change"}).text

    same_rules = post_form(
        client,
        "/account/password",
        {"current_password": one_time, "new_password": "pendek"},
        csrf_from="/account",
    )
    assert same_rules.status_code == 422
    changed = post_form(
        client,
        "/account/password",
        {"current_password": one_time, "new_password": NEW_PASSWORD},
        csrf_from="/account",
    )
    assert changed.status_code == 303
    assert client.get("/my/applications", follow_redirects=False).status_code == 200
    account = soup(client.get("/account"))
    assert account.find(attrs={"data-testid": "must-change"}) is None
