"""Pages speak Indonesian by default, English by a switch that sticks; every message of every
template has its Indonesian wording."""

from __future__ import annotations

from tests.web.messages import missing
from tests.web.pages import soup


def test_every_template_message_has_an_indonesian_translation():
    assert missing("id") == {}, "run `python -m tests.web.messages` and translate these"


def test_indonesian_by_default_and_english_by_a_switch_that_sticks(client):
    assert soup(client.get("/login")).find("h1").get_text() == "Masuk"
    answer = client.get("/lang/en?next=/login", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert soup(client.get("/login")).find("h1").get_text() == "Sign in"
    assert soup(client.get("/")).find("html")["lang"] == "en"
    client.get("/lang/id?next=/")
    assert soup(client.get("/login")).find("h1").get_text() == "Masuk"


def test_the_switch_only_returns_to_pages_of_this_site(client):
    answer = client.get("/lang/en?next=https://evil.example/", follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_error_pages_are_pages_in_the_callers_language_without_internals(client):
    answer = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert soup(answer).find("h1").get_text() == "Page not found"
    api = client.get("/api/v1/no-such-thing")
    assert api.headers["content-type"] == "application/problem+json"


def test_pages_carry_a_csp_without_unsafe_inline_and_are_not_cached(client):
    answer = client.get("/login")
    policy = answer.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "default-src 'self'" in policy
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_an_error_page_still_shows_who_is_signed_in(world, client):
    from tests.web.pages import sign_in

    citizen = world.user("citizen", name="Lina Marlina")
    sign_in(client, citizen.email)
    answer = client.get("/my/applications/00000000-0000-0000-0000-000000000000")
    assert answer.status_code == 404
    marker = soup(answer).find(attrs={"data-testid": "signed-in-as"})
    assert marker is not None and marker.get_text(strip=True) == "Lina Marlina"


def test_no_message_has_two_different_indonesian_wordings():
    """All .po files form one catalogue: the same id in two files must read the same."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    from app.web.i18n import LOCALE_DIR

    wording: dict[str, tuple[str, object]] = {}
    clashes = []
    for path in sorted(Path(LOCALE_DIR, "id").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="id"):
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                if not key:
                    continue
                first = wording.setdefault(key, (path.name, message.string))
                if first[1] != message.string:
                    clashes.append((key, first, (path.name, message.string)))
    assert clashes == []
