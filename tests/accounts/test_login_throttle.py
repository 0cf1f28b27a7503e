"""Login throttling (issue 11, item 5): nobody's failures from one address may keep the owner out
at another. Failures count per account and address, per address across accounts, and against a
higher ceiling per account (a botnet)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

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
