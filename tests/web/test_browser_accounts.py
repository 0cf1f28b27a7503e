"""A resident registers, signs out and signs in again, in a real browser."""

from __future__ import annotations

from tests.factories import make_nik
from tests.web.browser import sign_in, sign_out
from tests.web.conftest import sqlite_only


@sqlite_only
def test_register_sign_out_and_sign_in_again(live_server, page):
    page.goto(f"{live_server}/register")
    page.get_by_label("Nama lengkap").fill("Dewi Lestari")
    page.get_by_label("NIK").fill(make_nik(4242))
    page.get_by_label("Alamat e-mail").fill("dewi@example.id")
    page.locator("#field-password").fill("teh manis hangat sekali")
    page.get_by_role("button", name="Buat akun").click()
    page.wait_for_load_state()
    assert page.url.endswith("/services?welcome=1")
    page.goto(f"{live_server}/")
    assert page.get_by_test_id("signed-in-as").inner_text() == "Dewi Lestari"

    sign_out(page)
    assert page.get_by_test_id("signed-in-as").count() == 0

    sign_in(page, live_server, "dewi@example.id", "salah sekali ya")
    assert "E-mail atau kata sandi salah" in page.locator("#error-summary").inner_text()
    assert page.locator("#field-email").input_value() == "dewi@example.id"

    sign_in(page, live_server, "dewi@example.id", "teh manis hangat sekali")
    assert page.url.endswith("/my/applications")
    page.goto(f"{live_server}/")
    assert page.get_by_test_id("signed-in-as").inner_text() == "Dewi Lestari"


@sqlite_only
def test_register_form_keeps_input_and_shows_errors_next_to_fields(live_server, page):
    page.goto(f"{live_server}/register")
    page.get_by_label("Nama lengkap").fill("Budi <b>Santoso</b>")
    page.get_by_label("NIK").fill("1234")
    page.get_by_label("Alamat e-mail").fill("budi@example.id")
    page.locator("#field-password").fill("pendek")
    page.get_by_role("button", name="Buat akun").click()
    page.wait_for_load_state()
    assert page.locator("#error-nik").is_visible()
    assert page.locator("#error-password").is_visible()
    assert page.get_by_label("Nama lengkap").input_value() == "Budi <b>Santoso</b>"
    assert page.locator("b").count() == 0  # shown as text, never as markup
