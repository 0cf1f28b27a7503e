"""An officer works the queue and serves a walk-in resident, in a real browser."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import update

from app.models import Case
from tests.factories import make_nik, pdf_bytes
from tests.web.browser import sign_in
from tests.web.conftest import screenshot, sqlite_only


@sqlite_only
def test_officer_filters_claims_and_requests_a_revision(live_server, page, world, db):
    officer = world.user("officer", name="Petugas Ani", officer_roles=("verifier",))
    colleague = world.user("officer", name="Petugas Budi")
    residents = [
        world.user("citizen", name=name) for name in ("Siti Aminah", "Joko Santoso", "Rina Wati")
    ]
    late = world.submitted(residents[0])
    target = world.submitted(residents[1])
    world.submitted(residents[2], "TWO")
    world.in_state("in_review", citizen=residents[2], officer=colleague)
    with db() as session:  # submitted long ago: its due day has passed
        session.execute(
            update(Case).where(Case.id == uuid.UUID(late["id"])).values(due_at=date(2020, 1, 6))
        )

    sign_in(page, live_server, officer.email)
    assert page.url.endswith("/officer")
    late_row = page.locator(f"tr[data-reference='{late['reference']}']")
    assert "Terlambat" in late_row.inner_text()
    screenshot(page, "officer-queue")

    page.get_by_label("Nomor permohonan atau nama pemohon").fill("joko")
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_load_state()
    assert page.locator("table.queue tbody tr").count() == 1
    page.get_by_role("button", name=f"Ambil alih {target['reference']}").click()
    page.wait_for_load_state()
    row = page.locator(f"tr[data-reference='{target['reference']}']")
    assert "Anda" in row.inner_text()

    row.get_by_role("link", name=target["reference"]).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Mulai pemeriksaan").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("state").inner_text() == "Sedang diperiksa"
    page.get_by_label("Yang harus diperbaiki warga").fill("Foto KTP buram; mohon unggah ulang.")
    screenshot(page, "officer-review")
    page.get_by_role("button", name="Minta perbaikan").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("state").inner_text() == "Perlu perbaikan"
    assert "Foto KTP buram" in page.locator(".timeline").inner_text()
    # The resident sees the request through the API the citizen pages use.
    shown = world.get(target["id"], residents[1])
    assert shown["state"] == "revision_requested"


@sqlite_only
def test_counter_application_for_a_new_resident(live_server, page, world, tmp_path):
    officer = world.user("officer", name="Petugas Ani")
    sign_in(page, live_server, officer.email)
    page.goto(f"{live_server}/officer/assisted")
    page.locator("#find-email").fill("slamet@example.id")
    page.get_by_role("button", name="Cari").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("not-found").is_visible()

    create = page.locator("form[action='/officer/assisted/residents']")
    create.get_by_label("Nama lengkap (sesuai KTP)").fill("Pak Slamet")
    create.get_by_label("NIK").fill(make_nik(7777))
    create.get_by_label("Ponsel", exact=False).fill("081234567890")
    page.get_by_role("button", name="Buat akun").click()
    page.wait_for_load_state()
    password = page.get_by_test_id("one-time-password").inner_text()
    assert len(password) == 19
    page.get_by_role("link", name="Lanjut ke permohonan").click()
    page.wait_for_load_state()

    page.get_by_label("Layanan").select_option("SIMPLE")
    page.get_by_role("button", name="Pilih").click()
    page.wait_for_load_state()
    page.get_by_label("Nama usaha").fill("Bengkel Slamet")
    page.get_by_label("Jumlah pegawai").fill("2")
    ktp = tmp_path / "ktp.pdf"
    ktp.write_bytes(pdf_bytes())
    page.get_by_label("KTP pemohon").set_input_files(str(ktp))
    page.get_by_role("button", name="Ajukan atas nama warga").click()
    page.wait_for_load_state()
    assert "Diajukan di loket oleh Petugas Ani" in page.get_by_test_id("assisted").inner_text()
    assert page.get_by_test_id("state").inner_text() == "Diajukan"
