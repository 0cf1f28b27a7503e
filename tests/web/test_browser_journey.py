"""The whole journey of issue 4 in a real browser, on a two-level service: a resident registers,
applies, uploads and submits; the verifier asks for a correction; the resident answers and
resubmits; the verifier verifies and the approver approves; the resident downloads the signed
certificate; the public page says it is valid; the approver revokes it and the page says so."""

from __future__ import annotations

from pyhanko.pdf_utils.reader import PdfFileReader

from tests.factories import make_nik, pdf_bytes
from tests.web.browser import sign_in, sign_out
from tests.web.conftest import sqlite_only

KTP = {"name": "ktp.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("KTP")}


def register(page, base: str) -> None:
    page.goto(f"{base}/register")
    page.get_by_label("Nama lengkap").fill("Wulan Sari")
    page.get_by_label("NIK").fill(make_nik(5151))
    page.get_by_label("Alamat e-mail").fill("wulan@example.id")
    page.locator("#field-password").fill("nasi uduk betawi enak")
    page.get_by_role("button", name="Buat akun").click()
    page.wait_for_load_state()


def apply_and_submit(page, base: str) -> str:
    """Apply for the two-level service; returns the application page's address."""
    page.goto(f"{base}/services/TWO")
    page.get_by_role("button", name="Ajukan layanan ini").click()
    page.wait_for_load_state()
    page.get_by_label("Nama usaha").fill("Toko Kue Wulan")
    page.get_by_role("button", name="Simpan isian").click()
    page.wait_for_load_state()
    page.get_by_label("Pilih berkas: KTP pemohon").set_input_files(files=[KTP])
    page.locator("#doc-ktp button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(page.url.removesuffix("/edit"))
    page.get_by_role("button", name="Ajukan permohonan").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("state").inner_text() == "Diajukan"
    return page.url.split("?")[0].split("#")[0]


def officer_acts(
    page, base: str, reference: str, button: str, comment: str | None = None, confirm: str = ""
):
    page.goto(f"{base}/officer?q={reference}")
    page.get_by_role("link", name=reference).click()
    page.wait_for_load_state()
    form = page.locator("form", has=page.get_by_role("button", name=button))
    if comment is not None:
        form.locator("textarea").fill(comment)
    form.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    if confirm:  # an irreversible step asks on a page of its own
        page.get_by_role("button", name=confirm).click()
        page.wait_for_load_state()
    return page.get_by_test_id("state").inner_text()


@sqlite_only
def test_the_whole_journey_on_a_two_level_service(live_server, browser, page, world, tmp_path):
    verifier = world.user("officer", name="Verifikator Ani", officer_roles=("verifier",))
    approver = world.user("officer", name="Pejabat Budi", officer_roles=("approver",))
    register(page, live_server)
    application_url = apply_and_submit(page, live_server)
    reference = page.locator(".app-meta .number").inner_text()
    sign_out(page)

    sign_in(page, live_server, verifier.email)
    assert officer_acts(page, live_server, reference, "Mulai verifikasi") == "Sedang diverifikasi"
    assert (
        officer_acts(
            page, live_server, reference, "Minta perbaikan", "Nama usaha harus sama dengan di NIB."
        )
        == "Perlu perbaikan"
    )
    sign_out(page)

    sign_in(page, live_server, "wulan@example.id", "nasi uduk betawi enak")
    page.goto(application_url)
    assert "Nama usaha harus sama dengan di NIB." in page.locator("main").inner_text()
    page.get_by_role("link", name="Ubah formulir dan dokumen").click()
    page.get_by_label("Nama usaha").fill("Toko Kue Wulan Sari")
    page.get_by_role("button", name="Simpan isian").click()
    page.wait_for_load_state()
    page.goto(application_url)
    page.get_by_role("button", name="Ajukan ulang permohonan").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("state").inner_text() == "Diajukan"
    sign_out(page)

    sign_in(page, live_server, verifier.email)
    assert officer_acts(page, live_server, reference, "Mulai verifikasi") == "Sedang diverifikasi"
    verified = officer_acts(page, live_server, reference, "Nyatakan terverifikasi")
    assert verified == "Terverifikasi, menunggu persetujuan"
    sign_out(page)
    sign_in(page, live_server, approver.email)
    approved = officer_acts(page, live_server, reference, "Setujui", confirm="Ya, setujui")
    assert approved == "Disetujui"
    sign_out(page)

    sign_in(page, live_server, "wulan@example.id", "nasi uduk betawi enak")
    page.goto(application_url)
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh sertifikat bertanda tangan (PDF)").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    with pdf.open("rb") as handle:
        assert PdfFileReader(handle).embedded_signatures  # the real, signed certificate
    page.get_by_role("link", name="Halaman verifikasi publik").click()
    page.wait_for_load_state()
    verification_url = page.url
    assert page.locator("[data-status]").get_attribute("data-status") == "valid"
    sign_out_if_possible(page)

    anonymous = browser.new_context(locale="id-ID").new_page()
    anonymous.goto(verification_url)
    assert "SAH" in anonymous.locator("[data-status]").inner_text()

    sign_in(page, live_server, approver.email)
    assert (
        officer_acts(
            page,
            live_server,
            reference,
            "Cabut izin",
            "Usaha tidak lagi beroperasi di alamat ini.",
            confirm="Ya, cabut izin",
        )
        == "Izin dicabut"
    )
    anonymous.reload()
    assert anonymous.locator("[data-status]").get_attribute("data-status") == "revoked"
    assert "DICABUT" in anonymous.locator("[data-status]").inner_text()
    anonymous.context.close()


def sign_out_if_possible(page) -> None:
    if page.locator("form[action='/logout']").count():
        sign_out(page)
