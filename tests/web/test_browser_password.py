"""In Chromium: a resident resets a forgotten password through the e-mail that a real SMTP
server (aiosmtpd) received; an approver confirms an approval and sees that it is working."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from app.config import Settings
from app.notifications.dispatcher import Dispatcher
from tests.web.browser import sign_in
from tests.web.conftest import sqlite_only
from tests.web.mail import Inbox, mail_settings, running_inbox

NEW_PASSWORD = "gado gado tanpa kerupuk"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    yield from running_inbox()


@pytest.fixture
def settings(settings, inbox) -> Settings:
    return mail_settings(settings, inbox[1])  # public_base_url: the live server


@sqlite_only
def test_a_resident_resets_a_forgotten_password_from_the_mail(live_server, page, world, inbox):
    world.user("citizen", name="Dewi Lestari", email="dewi@example.id")
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Lupa kata sandi?").click()
    page.get_by_label("Alamat e-mail").fill("dewi@example.id")
    page.get_by_role("button", name="Kirim tautan").click()
    page.wait_for_load_state()
    assert "30 menit" in page.get_by_test_id("reset-sent").inner_text()

    Dispatcher(world.runtime.engine, world.runtime.settings).run_once()
    [(recipients, mail)] = inbox[0].received
    assert recipients == ["dewi@example.id"]
    link = re.search(r"http://\S+/password/reset\?token=\S+", mail.get_content())
    assert link is not None and link.group(0).startswith(live_server)
    page.goto(link.group(0))
    page.get_by_label("Kata sandi baru").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Simpan kata sandi baru").click()
    page.wait_for_load_state()
    assert "keluar dari semua perangkat" in page.get_by_test_id("reset-done").inner_text()

    sign_in(page, live_server, "dewi@example.id", NEW_PASSWORD)
    assert page.url.endswith("/my/applications")


@sqlite_only
def test_an_approval_is_confirmed_and_shows_that_it_is_working(live_server, page, world):
    citizen, approver = world.user("citizen"), world.user("officer", name="Pejabat Budi")
    application = world.in_state("in_review", citizen=citizen, officer=approver)
    sign_in(page, live_server, approver.email)
    page.goto(f"{live_server}/officer/applications/{application['id']}")
    page.get_by_role("button", name="Setujui", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Setujui permohonan ini?"

    # The post goes to a frame, so that the page stays there to be read while the server
    # works (a page that is navigating away cannot be inspected); the request is held meanwhile.
    page.evaluate(
        "() => { const sink = document.createElement('iframe'); sink.name = 'sink';"
        " document.body.append(sink); document.querySelector('form[data-busy]').target = 'sink'; }"
    )
    held = []
    page.route("**/act", lambda route: held.append(route))
    page.get_by_role("button", name="Ya, setujui").click(no_wait_after=True)
    page.wait_for_function("() => document.querySelector('button[aria-busy=true]')")
    shown = page.evaluate(
        "() => { const b = document.querySelector('button[aria-busy=true]');"
        " return [b.textContent, b.disabled]; }"
    )
    assert shown == ["Memproses...", True]
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/act")
    for _ in range(100):  # the frame may not show our pages (frame-ancestors 'none')
        if world.get(application["id"], approver)["state"] == "approved":
            break
        page.wait_for_timeout(100)
    page.goto(f"{live_server}/officer/applications/{application['id']}")
    assert page.get_by_test_id("state").inner_text() == "Disetujui"
