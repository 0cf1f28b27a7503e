"""Login throttling (issue 11, item 5): nobody's failures from one address may keep the owner out
at another. Failures count per account and address, per address across accounts, and against a
higher ceiling per account (a botnet) that a device the account signed in with before gets past.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import select

from app.accounts import devices, throttle
from app.models import LoginThrottle
from tests.factories import PASSWORD
from tests.web.pages import sign_in, soup

WRONG = "salah-sekali-123"
OUTCOMES = {200: "in", 303: "in", 400: "refused", 429: "wait"}


@pytest.fixture
def from_address(app) -> Iterator[Callable[[str], TestClient]]:
    """A browser or app of its own at the given client address."""
    opened: list[TestClient] = []

    def open_at(host: str) -> TestClient:
        opened.append(TestClient(app, client=(host, 50000), raise_server_exceptions=False))
        return opened[-1]

    yield open_at
    for client in opened:
        client.close()


def api_login(client: TestClient, email: str, password: str, headers: dict | None = None):
    return client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": email, "password": password},
        headers=headers or {},
    )


def attempt(client: TestClient, surface: str, email: str, password: str, **kwargs) -> str:
    """One sign-in through the API's password grant or the login page: in, refused or wait."""
    if surface == "api":
        answer = api_login(client, email, password, **kwargs)
    else:
        answer = sign_in(client, email, password)
    if answer.status_code == 429:
        assert int(answer.headers["retry-after"]) >= 1
    return OUTCOMES[answer.status_code]


def let_waits_pass(db) -> None:
    """Time passes: every wait is over (the counts stay)."""
    with db() as session:
        session.execute(update(LoginThrottle).values(next_attempt_at=None))


@pytest.mark.parametrize("surface", ["api", "web"])
def test_twenty_failures_from_one_address_do_not_keep_the_owner_out_at_another(
    world, db, from_address, surface
):
    citizen = world.user("citizen")
    attacker = from_address("203.0.113.7")
    for _ in range(20):
        let_waits_pass(db)  # a patient attacker: each of the twenty failures counts
        assert attempt(attacker, surface, citizen.email, WRONG) == "refused"
    # The attacker's address waits, whatever it sends now.
    assert attempt(attacker, surface, citizen.email, PASSWORD) == "wait"

    owner = from_address("198.51.100.20")
    assert attempt(owner, surface, citizen.email, PASSWORD) == "in"


def owner_device(client: TestClient, surface: str, email: str) -> dict:
    """Sign the owner in once on ``client``: what later requests send to be a known device
    (the web's cookie stays in the client's jar)."""
    if surface == "web":
        assert sign_in(client, email).status_code == 303
        return {}
    answer = api_login(client, email, PASSWORD)
    assert answer.status_code == 200, answer.text
    return {"headers": {devices.HEADER: answer.json()["device_token"]}}


@pytest.fixture
def stopped_clock(monkeypatch) -> None:
    """The throttle's clock stands still: a wait ends only when a test says time has passed
    (let_waits_pass). The first wait past a ceiling is one second, which a busy machine can
    spend between two requests, and the attempt after it would count as a failure instead."""
    now = throttle.utcnow()
    monkeypatch.setattr(throttle, "utcnow", lambda: now)


@pytest.mark.parametrize("surface", ["api", "web"])
def test_a_botnet_meets_the_accounts_ceiling_which_only_a_known_device_gets_past(
    world, db, from_address, surface, stopped_clock
):
    world.runtime.settings.login_account_free_failures = 12
    citizen = world.user("citizen")
    laptop = from_address("192.0.2.10")
    known = owner_device(laptop, surface, citizen.email)

    # Each address fails three times, under its own limits (5 per pair, 20 per address): only
    # the account's ceiling can stop them, after twelve failures however many addresses.
    failures, address = 0, 0
    while True:
        address += 1
        assert address <= 5, "the ceiling never came"
        bot = from_address(f"10.0.{address}.1")
        outcomes = [attempt(bot, surface, citizen.email, WRONG) for _ in range(3)]
        failures += outcomes.count("refused")
        if "wait" in outcomes:
            break
    assert failures == 12
    for later in range(6):  # the botnet goes on, hours apart: each failure doubles the wait
        let_waits_pass(db)
        bot = from_address(f"10.1.{later}.1")
        assert attempt(bot, surface, citizen.email, WRONG) == "refused"

    # The owner's laptop gets in at once, even from an address nobody has used...
    travelling = from_address("192.0.2.77")
    if surface == "web":
        travelling.cookies.set(devices.PLAIN_COOKIE, laptop.cookies[devices.PLAIN_COOKIE])
    assert attempt(travelling, surface, citizen.email, PASSWORD, **known) == "in"
    # ...and its success leaves the ceiling standing: a new phone waits like everyone else,
    phone = from_address("192.0.2.99")
    waiting = (
        api_login(phone, citizen.email, PASSWORD)
        if surface == "api"
        else sign_in(phone, citizen.email, PASSWORD)
    )
    assert waiting.status_code == 429
    assert int(waiting.headers["retry-after"]) > 30  # 2**6 s after eighteen failures
    # but only waits: once the wait is over, the right password works (no hard lockout).
    let_waits_pass(db)
    assert attempt(phone, surface, citizen.email, PASSWORD) == "in"


@pytest.mark.parametrize("surface", ["api", "web"])
def test_an_unknown_account_answers_like_a_real_one_all_the_way_to_the_ceiling(
    world, from_address, surface
):
    world.runtime.settings.login_account_free_failures = 6
    citizen = world.user("citizen")

    def attack(email: str, net: int) -> list[tuple[int, str]]:
        answers = []
        for address in range(3):
            bot = from_address(f"10.{net}.{address}.1")
            for _ in range(3):
                if surface == "api":
                    answer = api_login(bot, email, WRONG)
                    answers.append((answer.status_code, answer.json().get("error", "")))
                else:
                    answer = sign_in(bot, email, WRONG)
                    page = soup(answer).find(id="error-summary")
                    answers.append((answer.status_code, page.get_text(" ", strip=True)[:20]))
        return answers

    real, unknown = attack(citizen.email, 1), attack("nobody@example.id", 2)
    assert real == unknown
    assert [status for status, _ in real].count(429) == 3  # the ceiling, after six failures


def test_a_known_device_has_its_own_count_and_is_known_to_its_account_only(world, from_address):
    world.runtime.settings.login_account_free_failures = 3
    citizen, neighbour = world.user("citizen"), world.user("citizen")
    app_client = from_address("192.0.2.10")
    token = api_login(app_client, citizen.email, PASSWORD).json()["device_token"]
    device = {devices.HEADER: token}
    for address in range(3):  # the neighbour's account meets its ceiling
        bot = from_address(f"10.0.{address}.1")
        assert api_login(bot, neighbour.email, WRONG).status_code == 400
    # The citizen's device is no device of the neighbour's: it waits there like any other.
    assert api_login(app_client, neighbour.email, PASSWORD, device).status_code == 429
    assert api_login(app_client, citizen.email, PASSWORD, device).status_code == 200

    # A stolen device token buys the thief the owner's own slow trickle, nothing more.
    for _ in range(world.runtime.settings.login_free_failures):
        assert api_login(app_client, citizen.email, WRONG, device).status_code == 400
    assert api_login(app_client, citizen.email, PASSWORD, device).status_code == 429
    # Those failures were the device's: the owner's other devices are not slowed by them.
    assert api_login(from_address("192.0.2.11"), citizen.email, PASSWORD).status_code == 200


def test_the_device_cookie_is_long_lived_strict_http_only_and_stored_as_a_hash(world, client, db):
    from app.models import LoginDevice

    citizen = world.user("citizen")
    answer = sign_in(client, citizen.email)
    cookie = next(
        header
        for header in answer.headers.get_list("set-cookie")
        if header.startswith(f"{devices.PLAIN_COOKIE}=")
    )
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "max-age", "path"} <= flags
    assert "samesite=strict" in cookie.lower() and "max-age=31536000" in cookie.lower()
    token = client.cookies[devices.PLAIN_COOKIE]
    with db() as session:
        stored = session.exec(select(LoginDevice)).all()
    assert [row.token_hash for row in stored] == [hashlib.sha256(token.encode()).hexdigest()]
    assert stored[0].user_id == citizen.id

    # Signing in again keeps the device (one row, the same cookie) and extends it.
    assert sign_in(client, citizen.email).status_code == 303
    assert client.cookies[devices.PLAIN_COOKIE] == token
    with db() as session:
        assert len(session.exec(select(LoginDevice)).all()) == 1


def test_a_new_password_forgets_every_device_but_the_browser_that_set_it(world, client, db):
    from app.models import LoginDevice
    from tests.web.pages import post_form

    citizen = world.user("citizen")
    other = api_login(client, citizen.email, PASSWORD).json()["device_token"]
    assert sign_in(client, citizen.email).status_code == 303
    old = client.cookies[devices.PLAIN_COOKIE]
    answer = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "teh hangat di sore hari"},
        csrf_from="/account",
    )
    assert answer.status_code == 303
    new = client.cookies[devices.PLAIN_COOKIE]
    with db() as session:
        hashes = [row.token_hash for row in session.exec(select(LoginDevice)).all()]
    assert hashes == [hashlib.sha256(new.encode()).hexdigest()]
    assert new not in (old, other)
