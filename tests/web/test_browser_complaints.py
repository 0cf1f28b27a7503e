"""A complaint's whole journey in a real browser: a resident reports a broken street light with
a photo, the street-lighting officer resolves it, a second officer verifies, the resident
confirms; the public page shows it fixed, without the resident's name."""

from __future__ import annotations

from app.catalogue.definitions import load_catalogue
from app.catalogue.service import load_catalogue as store_catalogue
from app.db import transaction
from tests.complaints.conftest import CATEGORIES, TEBET_TIMUR, jpeg_with_gps
from tests.web.browser import sign_in
from tests.web.conftest import screenshot, sqlite_only


def new_page(browser):
    context = browser.new_context(
        locale="id-ID", timezone_id="Asia/Jakarta", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)
    return context.new_page()


def act(page, action: str, comment: str | None = None) -> None:
    form = page.locator(f"form[data-action='{action}']")
    if comment is not None:
        form.locator("textarea").fill(comment)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


@sqlite_only
def test_a_street_light_reported_fixed_verified_and_confirmed(
    live_server, page, browser, world, tmp_path
):
    with transaction(world.runtime.engine) as session:
        store_catalogue(session, catalogue=load_catalogue(CATEGORIES))
    resident = world.user("citizen", name="Siti Aminah")
    fixer = world.user("officer", department="DBM", name="Petugas Rudi")
    checker = world.user("officer", department="DBM", name="Petugas Wati")
    photo = tmp_path / "lampu-mati.jpg"
    photo.write_bytes(jpeg_with_gps(size=(320, 200)))

    sign_in(page, live_server, resident.email)
    page.get_by_role("link", name="Laporkan masalah").first.click()
    page.wait_for_load_state()
    page.select_option("#field-category_code", "PJU")
    page.select_option("#field-area_code", TEBET_TIMUR)
    page.get_by_label("Lintang").fill("-6.2330")
    page.get_by_label("Bujur").fill("106.8560")
    page.get_by_role("button", name="Lanjutkan").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=chosen-category]").inner_text() == (
        "Lampu penerangan jalan mati"
    )
    page.get_by_label("Apa masalahnya").fill("Lampu jalan di depan nomor 12 mati sejak Senin.")
    page.locator("#field-photos").set_input_files(str(photo))
    screenshot(page, "complaint-report")
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_load_state()
    reference = page.locator("[data-testid=reference]").inner_text()
    assert reference.startswith("LPR-") and "/my/complaints/" in page.url
    assert page.locator("ul.photos img").count() == 1
    report_url = page.url.split("?")[0]

    officer = new_page(browser)
    sign_in(officer, live_server, fixer.email)
    officer.get_by_role("link", name="Pengaduan").first.click()
    officer.wait_for_load_state()
    officer.locator(f"tr[data-reference='{reference}'] a").click()
    officer.wait_for_load_state()
    act(officer, "accept")
    act(officer, "start_work")
    form = officer.locator("form[data-action='resolve']")
    form.locator("input[type=file]").set_input_files(str(photo))
    act(officer, "resolve", "Lampu diganti baru pada malam hari.")
    assert "menunggu verifikasi" in officer.locator("[data-testid=state]").inner_text()
    assert officer.locator("form[data-action='verify']").count() == 0  # not by the same officer

    second = new_page(browser)
    sign_in(second, live_server, checker.email)
    second.goto(officer.url.split("?")[0])
    act(second, "verify")
    assert "Terverifikasi" in second.locator("[data-testid=state]").inner_text()

    page.goto(report_url)
    assert page.locator("ul.photos img").count() == 2  # the resident's and the after photo
    act(page, "confirm")
    assert page.locator("[data-testid=state]").inner_text() == "Selesai"
    page.locator("label[for=score-5]").click()
    page.get_by_role("button", name="Kirim penilaian").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=rating]").inner_text() == "5 / 5"
    screenshot(page, "complaint-confirmed")

    public = new_page(browser)
    public.goto(f"{live_server}/laporan")
    public.locator(f"[data-testid=map] a[data-reference='{reference}']").click()
    public.wait_for_load_state()
    assert public.locator("[data-testid=state]").inner_text() == "Selesai"
    assert "Siti" not in public.locator("main").inner_text()
