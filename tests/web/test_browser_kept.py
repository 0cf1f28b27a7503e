"""Nothing typed is lost (issue 13, item 1), in a real browser: an upload saves the answers typed
beside it, leaving a field saves it where JavaScript runs, the counter keeps the files chosen
across a refused attempt, and a session that ends while saving comes back to the page, filled."""

from __future__ import annotations

from sqlmodel import select

from app.accounts import repository
from app.db import transaction
from app.models import Case, Document
from tests.factories import PASSWORD, pdf_bytes
from tests.web.browser import sign_in
from tests.web.conftest import sqlite_only

KTP = {"name": "ktp-sari.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("KTP")}


def start_application(page, base: str) -> str:
    page.goto(f"{base}/services/SIMPLE")
    page.get_by_role("button", name="Ajukan layanan ini").click()
    page.wait_for_load_state()
    assert page.url.endswith("/edit")
    return page.url


def stored_data(world) -> dict:
    with transaction(world.runtime.engine, write=False) as session:
        (application,) = session.exec(select(Case)).all()
        return dict(application.data)


def end_sessions(world, user) -> None:
    """As if the session had timed out: the browser still sends its cookie, nobody knows it."""
    with transaction(world.runtime.engine) as session:
        assert repository.delete_web_sessions_of(session, user.id) >= 1


@sqlite_only
def test_uploading_a_file_saves_the_answers_typed_beside_it(live_server, page, world):
    citizen = world.user("citizen")
    sign_in(page, live_server, citizen.email)
    start_application(page, live_server)
    page.get_by_label("Nama usaha").fill("Warung Sari")
    page.get_by_label("Jumlah pegawai").fill("4")
    # No "Simpan isian": the person goes straight on to the documents.
    page.get_by_label("Pilih berkas: KTP pemohon").set_input_files(files=[KTP])
    page.locator("#doc-ktp button[type=submit]").click()
    page.wait_for_load_state()

    assert "ktp-sari.pdf" in page.locator("#doc-ktp").inner_text()
    assert page.get_by_label("Nama usaha").input_value() == "Warung Sari"
    assert page.get_by_label("Jumlah pegawai").input_value() == "4"
    assert stored_data(world) == {"business_name": "Warung Sari", "employees": 4}


@sqlite_only
def test_a_refused_file_keeps_the_answers_and_says_why(live_server, page, world):
    citizen = world.user("citizen")
    sign_in(page, live_server, citizen.email)
    start_application(page, live_server)
    page.get_by_label("Nama usaha").fill("Warung Sari")
    page.get_by_label("Pilih berkas: Foto lokasi").set_input_files(
        files=[{"name": "foto.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    page.locator("#doc-foto button[type=submit]").click()
    page.wait_for_load_state()

    assert page.locator("[id='error-upload-foto']").is_visible()
    assert page.get_by_label("Nama usaha").input_value() == "Warung Sari"
    assert stored_data(world) == {"business_name": "Warung Sari"}


@sqlite_only
def test_leaving_a_field_saves_the_form(live_server, page, world):
    citizen = world.user("citizen")
    sign_in(page, live_server, citizen.email)
    edit = start_application(page, live_server)
    page.get_by_label("Nama usaha").fill("Toko Makmur")
    with page.expect_response(lambda answer: answer.url.endswith("/autosave")):
        page.get_by_label("Nama usaha").press("Tab")
    page.get_by_test_id("autosave").filter(has_text="Tersimpan otomatis").wait_for()
    assert stored_data(world) == {"business_name": "Toko Makmur"}
    # An invalid answer is not saved, and keeps nothing else from being saved.
    page.get_by_label("Jumlah pegawai").fill("0")
    page.get_by_label("Tanggal buka").fill("2026-01-05")
    with page.expect_response(lambda answer: answer.url.endswith("/autosave")):
        page.get_by_label("Tanggal buka").press("Tab")

    assert stored_data(world) == {"business_name": "Toko Makmur", "opened_on": "2026-01-05"}
    page.goto(edit)  # the answers are there without ever pressing "Simpan isian"
    assert page.get_by_label("Nama usaha").input_value() == "Toko Makmur"
    # The version moved on with each save: pressing Save now is not a stale conflict.
    page.get_by_label("Jumlah pegawai").fill("2")
    page.get_by_role("button", name="Simpan isian").click()
    page.wait_for_load_state()
    assert page.get_by_text("Isian Anda telah disimpan").is_visible()
    assert stored_data(world)["employees"] == 2


@sqlite_only
def test_a_session_that_ended_while_saving_returns_to_the_form_filled_in(live_server, page, world):
    citizen = world.user("citizen")
    sign_in(page, live_server, citizen.email)
    edit = start_application(page, live_server)
    page.get_by_label("Nama usaha").fill("Bengkel Jaya")
    page.get_by_label("Jumlah pegawai").fill("7")
    end_sessions(world, citizen)

    page.get_by_role("button", name="Simpan isian").click()
    page.wait_for_load_state()
    assert "/login" in page.url
    page.get_by_label("E-mail", exact=False).fill(citizen.email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()

    assert page.url.split("?")[0] == edit  # the page it was on, never the POST address (405)
    assert page.get_by_test_id("kept-form").is_visible()
    assert page.get_by_label("Nama usaha").input_value() == "Bengkel Jaya"
    assert page.get_by_label("Jumlah pegawai").input_value() == "7"
    page.get_by_role("button", name="Simpan isian").click()
    page.wait_for_load_state()
    assert stored_data(world) == {"business_name": "Bengkel Jaya", "employees": 7}
    page.goto(edit)  # shown once: the kept form is used up
    assert page.get_by_test_id("kept-form").count() == 0


@sqlite_only
def test_the_counter_keeps_chosen_files_across_a_refused_attempt(live_server, page, world):
    officer = world.user("officer", name="Petugas Ani")
    resident = world.user("citizen", name="Pak Slamet")
    sign_in(page, live_server, officer.email)
    page.goto(f"{live_server}/officer/assisted/{resident.id}?service=SIMPLE")
    page.get_by_label("Nama usaha").fill("Bengkel Slamet")
    page.get_by_label("Jumlah pegawai").fill("0")  # refused: at least 1
    page.get_by_label("KTP pemohon").set_input_files(files=[KTP])
    page.get_by_role("button", name="Ajukan atas nama warga").click()
    page.wait_for_load_state()

    assert page.locator("[id='error-data.employees']").is_visible()
    assert "ktp-sari.pdf" in page.get_by_test_id("kept-ktp").inner_text()
    page.get_by_label("Jumlah pegawai").fill("2")  # the file is not chosen again
    page.get_by_role("button", name="Ajukan atas nama warga").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("state").inner_text() == "Diajukan"
    with transaction(world.runtime.engine, write=False) as session:
        applications = session.exec(select(Case)).all()
        assert len(applications) == 1  # the kept draft was submitted, not a second one
        documents = session.exec(select(Document)).all()
        assert [d.original_name for d in documents] == ["ktp-sari.pdf"]
        assert applications[0].data == {"business_name": "Bengkel Slamet", "employees": 2}
