"""Reach: every main page fits a phone's screen, works with JavaScript switched off, and can be
used with the keyboard alone; English by the switch."""

from __future__ import annotations

import pytest

from tests.web.browser import sign_in
from tests.web.conftest import sqlite_only

PUBLIC_PAGES = ["/", "/services", "/services/SIMPLE", "/login", "/register", "/verify", "/stats"]


@pytest.fixture
def phone(browser):
    """A phone-sized screen with JavaScript switched off."""
    context = browser.new_context(
        locale="id-ID",
        viewport={"width": 360, "height": 740},
        java_script_enabled=False,
        is_mobile=True,
    )
    context.set_default_timeout(30_000)  # generous: CI machines may be busy
    yield context.new_page()
    context.close()


def overflows_horizontally(page) -> bool:
    # Reading layout needs a script; Playwright's evaluate runs even with page scripts off.
    return page.evaluate(
        "document.scrollingElement.scrollWidth > document.scrollingElement.clientWidth + 1"
    )


@sqlite_only
def test_pages_fit_a_phone_and_work_without_javascript(live_server, phone, world):
    citizen = world.user("citizen", name="Nur Aini")
    officer = world.user("officer", name="Petugas Dian")
    application = world.submitted(citizen)
    for path in PUBLIC_PAGES:
        phone.goto(f"{live_server}{path}")
        assert not overflows_horizontally(phone), path

    sign_in(phone, live_server, citizen.email)  # a plain form post: no script involved
    for path in ["/my/applications", f"/my/applications/{application['id']}", "/account"]:
        phone.goto(f"{live_server}{path}")
        assert phone.get_by_test_id("signed-in-as").inner_text() == "Nur Aini", path
        assert not overflows_horizontally(phone), path
    phone.locator("form[action='/logout'] button").click()

    sign_in(phone, live_server, officer.email)
    for path in ["/officer", f"/officer/applications/{application['id']}", "/officer/stats"]:
        phone.goto(f"{live_server}{path}")
        assert phone.get_by_test_id("signed-in-as").inner_text() == "Petugas Dian", path
        assert not overflows_horizontally(phone), path


@sqlite_only
def test_sign_in_with_the_keyboard_alone(live_server, page, world):
    citizen = world.user("citizen", name="Agus Salim")
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.locator("#field-email").focus()
    page.keyboard.type(citizen.email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "field-password"
    page.keyboard.type("kata-sandi-uji-coba")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{live_server}/")
    assert page.get_by_test_id("signed-in-as").inner_text() == "Agus Salim"


@sqlite_only
def test_the_english_switch_sticks_across_pages(live_server, page, world):
    page.goto(f"{live_server}/services")
    assert page.locator("h1").inner_text() == "Layanan"
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.url.endswith("/services")
    assert page.locator("h1").inner_text() == "Services"
    page.goto(f"{live_server}/login")
    assert page.locator("h1").inner_text() == "Sign in"
    assert page.locator("html").get_attribute("lang") == "en"
