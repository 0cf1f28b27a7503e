"""A resident applies for a service in a real browser, from the catalogue to "My applications"."""

from __future__ import annotations

from tests.factories import pdf_bytes
from tests.web.browser import sign_in
from tests.web.conftest import screenshot, sqlite_only


@sqlite_only
def test_citizen_applies_corrects_an_error_uploads_and_submits(live_server, page, world):
    citizen = world.user("citizen", name="Sari Wulandari")
    sign_in(page, live_server, citizen.email)
    page.goto(f"{live_server}/services")
    page.get_by_role("link", name="Layanan Sederhana").click()
    page.get_by_role("button", name="Ajukan layanan ini").click()
    page.wait_for_load_state()
    assert page.url.endswith("/edit")

    page.get_by_label("Nama usaha").fill("Warung Sari")
    page.get_by_label("Jumlah pegawai").fill("0")
    page.get_by_role("button", name="Simpan isian").click()
    page.wait_for_load_state()
    assert "minimal 1" in page.locator("[id='error-data.employees']").inner_text()
    assert page.get_by_label("Nama usaha").input_value() == "Warung Sari"  # input kept

    page.get_by_label("Jumlah pegawai").fill("4")
    page.get_by_role("button", name="Simpan isian").click()
    page.wait_for_load_state()
    assert page.get_by_text("Isian Anda telah disimpan").is_visible()

    page.get_by_label("Pilih berkas: KTP pemohon").set_input_files(
        files=[{"name": "ktp-sari.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    page.locator("#doc-ktp button[type=submit]").click()
    page.wait_for_load_state()
    assert "ktp-sari.pdf" in page.locator("#doc-ktp").inner_text()
    assert page.get_by_test_id("missing").count() == 0  # the checklist is complete

    page.get_by_role("button", name="Ajukan permohonan").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("state").inner_text() == "Diajukan"
    assert "sisa 3 hari kerja" in page.get_by_test_id("sla").inner_text()
    screenshot(page, "citizen-application")

    page.get_by_role("link", name="Permohonan saya").first.click()
    page.wait_for_load_state()
    row = page.locator("table.list tbody tr")
    assert row.count() == 1
    assert "Layanan Sederhana" in row.inner_text() and "Diajukan" in row.inner_text()
