"""The public "check a PDF" page: genuine, modified and non-PDF files, and the code lookup."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.certificates.pdfs import append_content_edit
from tests.web.conftest import screenshot, sqlite_only
from tests.web.pages import csrf_of, soup


@pytest.fixture
def certificate(world):
    """An approved application's certificate: its number and its PDF, as the holder gets it."""
    citizen = world.user("citizen", name="Siti Rahmawati")
    officer = world.user("officer")
    application = world.in_state("approved", citizen=citizen, officer=officer)
    number = application["certificate_number"]
    response = world.client.get(
        f"/api/v1/certificates/{number}/pdf", headers=world.headers(citizen)
    )
    assert response.status_code == 200
    metadata = world.client.get(f"/api/v1/certificates/{number}", headers=world.headers(citizen))
    return {
        "number": number,
        "pdf": response.content,
        "path": urlsplit(metadata.json()["verification_url"]).path,
        "officer": officer,
    }


def upload(client, data: bytes, name: str = "sertifikat.pdf"):
    token = csrf_of(client.get("/verify"))
    return client.post(
        "/verify", data={"csrf_token": token}, files={"file": (name, data, "application/pdf")}
    )


def test_a_genuine_certificate_is_authentic_and_valid(client, certificate):
    answer = upload(client, certificate["pdf"])
    assert answer.status_code == 200
    page = soup(answer)
    assert page.find(attrs={"data-authentic": True})["data-authentic"] == "yes"
    assert page.find(attrs={"data-status": True})["data-status"] == "valid"
    text = page.get_text(" ")
    assert "SAH / BERLAKU" in text and certificate["number"] in text
    assert "S*** R********" in text and "Siti Rahmawati" not in text


def test_a_modified_certificate_is_not_authentic(client, certificate):
    page = soup(upload(client, append_content_edit(certificate["pdf"])))
    assert page.find(attrs={"data-authentic": True})["data-authentic"] == "no"
    assert page.find(attrs={"data-testid": "authentic"}).get_text().startswith("Tidak asli")
    assert page.find(attrs={"data-testid": "reason"}).get_text(strip=True)
    assert page.find(attrs={"data-status": True}) is None


def test_a_file_that_is_not_a_pdf_gets_a_clear_message(client):
    answer = upload(client, b"hello, not a pdf", name="catatan.txt")
    assert answer.status_code == 200
    assert "Berkas ini bukan PDF" in soup(answer).find(attrs={"data-testid": "reason"}).get_text()
    empty = upload(client, b"")
    assert empty.status_code == 422 and soup(empty).find(id="error-file")
    token = csrf_of(client.get("/verify"))
    nothing = client.post("/verify", data={"csrf_token": token})
    assert nothing.status_code == 422 and soup(nothing).find(id="error-file")


def test_the_upload_needs_the_forms_token_and_is_rate_limited(world, client, certificate):
    no_token = client.post("/verify", files={"file": ("a.pdf", certificate["pdf"])})
    assert no_token.status_code == 403
    world.runtime.settings.public_rate_limit_per_minute = 2
    statuses = [upload(client, b"%PDF-1.7 nope").status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_a_typed_code_leads_to_the_codes_page(client):
    answer = client.get(
        "/verify", params={"code": " https://loket.example/verify/abc123 "}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/verify/abc123"
    missing = client.get("/verify/abc123")
    assert missing.status_code == 404 and soup(missing).find("header", class_="site-header")


@sqlite_only
def test_uploading_a_genuine_pdf_in_the_browser(live_server, page, certificate, tmp_path):
    path = tmp_path / "sertifikat.pdf"
    path.write_bytes(certificate["pdf"])
    page.goto(f"{live_server}/verify")
    page.get_by_label("Berkas sertifikat (PDF)").set_input_files(str(path))
    page.get_by_role("button", name="Periksa berkas").click()
    page.wait_for_load_state()
    assert "Asli" in page.get_by_test_id("authentic").inner_text()
    status = page.locator("[data-status]")
    assert status.get_attribute("data-status") == "valid"
    assert "SAH" in status.inner_text()
    screenshot(page, "verification")


def _revoke(world, certificate) -> None:
    revoked = world.client.post(
        f"/api/v1/certificates/{certificate['number']}/revoke",
        json={"reason": "Data usaha tidak benar"},
        headers=world.headers(certificate["officer"]),
    )
    assert revoked.status_code == 200, revoked.text


def test_a_valid_certificates_page_says_until_when(client, certificate):
    page = soup(client.get(certificate["path"]))
    assert page.find(attrs={"data-status": True})["data-status"] == "valid"
    assert "Berlaku sampai" in page.get_text(" ")
    assert page.find(attrs={"data-testid": "status-explained"}) is None


@pytest.mark.parametrize(
    ("lang", "plainly", "as_if_valid"),
    [
        ("id", "Sertifikat ini tidak berlaku lagi: sudah dicabut pada", "Berlaku sampai"),
        ("en", "This certificate is no longer valid: it was revoked on", "Valid until"),
    ],
)
def test_a_revoked_certificate_says_plainly_it_is_no_longer_valid(
    world, client, certificate, lang, plainly, as_if_valid
):
    _revoke(world, certificate)
    headers = {"Accept-Language": lang}
    qr_page = soup(client.get(certificate["path"], headers=headers))
    token = csrf_of(client.get("/verify", headers=headers))
    uploaded = client.post(
        "/verify",
        data={"csrf_token": token},
        files={"file": ("sertifikat.pdf", certificate["pdf"], "application/pdf")},
        headers=headers,
    )
    for page in (qr_page, soup(uploaded)):
        assert page.find(attrs={"data-status": True})["data-status"] == "revoked"
        said = page.find(attrs={"data-testid": "status-explained"}).get_text(" ", strip=True)
        assert said.startswith(plainly)
        text = page.get_text(" ")
        assert as_if_valid not in text
        assert ("SAH / BERLAKU" if lang == "id" else "VALID") not in text.replace("REVOKED", "")
