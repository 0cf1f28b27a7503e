"""A script payload typed into every text field is shown as text on every page that shows it.

The payload goes in through the real interfaces (the JSON API and the forms) as a resident's
name, an application's text field, an uploaded file's name, a revision comment and a rejection
reason; then every page that displays them is parsed as a browser would: the payload must appear
as text, and no element, attribute or script it carries may exist in the page.
"""

from __future__ import annotations

import pytest

from tests.web.pages import sign_in, soup

MARK = "xss-probe-7"
PAYLOAD = f'"><script>window.{MARK}=1</script><img src=x onerror="{MARK}()">\'<b>{MARK}</b>'


def injected_markup(page) -> list[str]:
    """Any element or attribute that came from the payload instead of staying text."""
    found = [str(tag)[:80] for tag in page.find_all(["script", "img", "b"]) if MARK in str(tag)]
    for tag in page.find_all(True):
        found += [
            f"{tag.name}[{name}]"
            for name, value in tag.attrs.items()
            if name.startswith("on") and MARK in str(value)
        ]
    return found


@pytest.fixture
def hostile(world):
    """An application whose every free-text value is the payload, rejected with it too."""
    citizen = world.user("citizen", name=f"Ani {PAYLOAD}"[:200])
    verifier = world.user("officer", name=f"Petugas {PAYLOAD}"[:200])
    application = world.create(
        citizen, "SIMPLE", data={"business_name": PAYLOAD[:100], "employees": 2}
    )
    assert world.upload(citizen, application, filename=f"{PAYLOAD}.pdf").status_code == 201
    assert world.act(citizen, application, "submit").status_code == 200
    assert world.act(verifier, application, "start_review").status_code == 200
    assert world.act(verifier, application, "request_revision", comment=PAYLOAD).status_code == 200
    assert world.act(citizen, application, "resubmit", comment=PAYLOAD).status_code == 200
    assert world.act(verifier, application, "start_review").status_code == 200
    assert world.act(verifier, application, "reject", comment=PAYLOAD).status_code == 200
    return citizen, verifier, application


def pages_of(role: str, application_id: str) -> list[str]:
    if role == "admin":  # the officer's name is shown on the department's page
        return ["/admin", "/admin/departments", "/admin/departments/DINASA"]
    if role == "citizen":
        return ["/", "/account", "/my/applications", f"/my/applications/{application_id}"]
    return [
        "/officer",
        f"/officer?q={MARK}",
        f"/officer/applications/{application_id}",
        "/officer?state=rejected",
    ]


@pytest.mark.parametrize("role", ["citizen", "officer", "admin"])
def test_payload_is_text_on_every_page_that_shows_it(world, client, hostile, role):
    citizen, verifier, application = hostile
    user = {"citizen": citizen, "officer": verifier, "admin": world.user("admin")}[role]
    assert sign_in(client, user.email).status_code == 303
    shown_somewhere = False
    for path in pages_of(role, application["id"]):
        answer = client.get(path)
        assert answer.status_code == 200, path
        page = soup(answer)
        assert injected_markup(page) == [], path
        shown_somewhere |= "<script>" in page.get_text()
    assert shown_somewhere, "the payload should be displayed (as text) somewhere"
