"""Steps a person takes in the browser, shared by the browser tests."""

from __future__ import annotations

from tests.factories import PASSWORD


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail", exact=False).fill(email)
    page.locator("#field-password").fill(password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.locator("form[action='/logout'] button").click()
    page.wait_for_load_state()
