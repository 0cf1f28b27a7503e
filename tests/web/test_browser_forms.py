"""Errors people understand (issue 13, item 2), in a real browser: every rule is shown before it
is broken, numbers are read as people write them (the same in both portals), every problem is
said at once in a summary that takes focus and links to each field."""

from __future__ import annotations

from sqlmodel import select

from app.db import transaction
from app.models import Case
from tests.factories import pdf_bytes
from tests.web.browser import sign_in
from tests.web.conftest import sqlite_only

KTP = {"name": "ktp.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("KTP")}


def stored_data(world) -> dict:
    with transaction(world.runtime.engine, write=False) as session:
        (case,) = session.exec(select(Case)).all()
        return dict(case.data)


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


@sqlite_only
def test_rules_are_shown_first_and_numbers_are_read_as_written(live_server, page, world):
    citizen = world.user("citizen")
    sign_in(page, live_server, citizen.email)
    page.goto(f"{live_server}/services/SIMPLE")
    page.get_by_role("button", name="Ajukan layanan ini").click()
    page.wait_for_load_state()
    # Before anything is typed: the format, by example.
    assert "Contoh: 012345678901234" in page.locator("[id='hint-data.npwp']").inner_text()
    capital_hint = page.locator("[id='hint-data.capital_idr']").inner_text()
    assert "5.000.000.000" in capital_hint and "Contoh: 15.000.000" in capital_hint

    page.get_by_label("Nama usaha").fill("Warung Sari")
    page.get_by_label("Jumlah pegawai").fill("3")
    page.get_by_label("NPWP").fill("1234-5")  # too short, even without its dash
    page.get_by_label("Modal usaha (Rp)").fill("Rp 15.000.000,-")
    page.get_by_role("button", name="Simpan isian").click()
    page.wait_for_load_state()
    error = page.locator("[id='error-data.npwp']").inner_text()
    assert "15 atau 16 angka" in error and "Contoh: 012345678901234" in error
    assert focused_id(page) == "error-summary"
    assert page.get_by_label("NPWP").input_value() == "1234-5"  # kept as typed

    page.get_by_label("NPWP").fill("01.234.567.8-901.234")
    page.get_by_role("button", name="Simpan isian").click()
    page.wait_for_load_state()
    assert page.get_by_text("Isian Anda telah disimpan").is_visible()
    assert stored_data(world) == {
        "business_name": "Warung Sari",
        "employees": 3,
        "npwp": "012345678901234",
        "capital_idr": 15000000,
    }


@sqlite_only
def test_the_counter_reads_the_form_the_same_way(live_server, page, world):
    officer = world.user("officer")
    resident = world.user("citizen")
    sign_in(page, live_server, officer.email)
    page.goto(f"{live_server}/officer/assisted/{resident.id}?service=SIMPLE")
    assert "Contoh: 012345678901234" in page.locator("[id='hint-data.npwp']").inner_text()
    page.get_by_label("Nama usaha").fill("Bengkel Slamet")
    page.get_by_label("Jumlah pegawai").fill("2")
    page.get_by_label("NPWP").fill("01.234.567.8-901.234")
    page.get_by_label("Modal usaha (Rp)").fill("15.000.000")
    page.get_by_label("KTP pemohon").set_input_files(files=[KTP])
    page.get_by_role("button", name="Ajukan atas nama warga").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("state").inner_text() == "Diajukan"
    data = stored_data(world)
    assert data["npwp"] == "012345678901234" and data["capital_idr"] == 15000000


@sqlite_only
def test_an_empty_registration_names_every_problem_at_once(live_server, page):
    page.goto(f"{live_server}/register")
    page.get_by_role("button", name="Buat akun").click()
    page.wait_for_load_state()

    summary = page.get_by_test_id("error-summary")
    assert focused_id(page) == "error-summary"  # read first by a screen reader
    links = summary.get_by_role("link")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert targets == ["#field-full_name", "#field-nik", "#field-email", "#field-password"]
    for name in ("full_name", "nik", "email", "password"):
        assert page.locator(f"#error-{name}").is_visible()
    summary.get_by_role("link").nth(1).click()  # each problem leads to its field
    assert page.evaluate("location.hash") == "#field-nik"


@sqlite_only
def test_messages_in_plain_english(live_server, page, world):
    citizen = world.user("citizen")
    sign_in(page, live_server, citizen.email)
    page.goto(f"{live_server}/services/SIMPLE")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Apply for this service").click()
    page.wait_for_load_state()
    page.get_by_label("Tax number (NPWP)").fill("12345")
    page.get_by_label("Business capital (IDR)").fill("lima juta")
    page.get_by_role("button", name="Save answers").click()
    page.wait_for_load_state()
    summary = page.get_by_test_id("error-summary").inner_text()
    assert "There is a problem" in summary
    assert "15 or 16 digits. Example: 012345678901234" in summary
    assert "Business capital (IDR) must be a whole number" in summary
