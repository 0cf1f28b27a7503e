"""Approval issues a signed certificate end to end; anyone can verify it by QR or by upload."""

from __future__ import annotations

import subprocess
import uuid
from datetime import date, timedelta
from urllib.parse import urlsplit

import jwt
import pytest
import zxingcpp
from bs4 import BeautifulSoup
from PIL import Image
from sqlmodel import select

from app.certificates import codes
from app.certificates.verify import check_pdf
from app.models import Certificate
from tests.certificates.pdfs import (
    append_content_edit,
    flip_byte,
    is_stamped,
    pdfsig_report,
    stream_data_offset,
)


@pytest.fixture
def approved(world):
    """A two-level application taken all the way to approval through the API."""
    return _approve(world, "Siti Rahmawati")


def _approve(world, holder: str) -> dict:
    citizen = world.user("citizen", name=holder)
    verifier = world.user("officer", officer_roles=("verifier",), name="Vera Verifikator")
    approver = world.user("officer", officer_roles=("approver",), name="Agus Penyetuju")
    application = world.submitted(citizen, "TWO")
    for user, action in (
        (verifier, "start_verification"),
        (verifier, "verify"),
        (approver, "approve"),
    ):
        response = world.act(user, application, action)
        assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "approved"
    return {
        "citizen": citizen,
        "approver": approver,
        "application": body,
        "number": body["certificate_number"],
    }


def _pdf(world, user, number):
    response = world.client.get(f"/api/v1/certificates/{number}/pdf", headers=world.headers(user))
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment")
    return response.content


def _qr_url(pdf: bytes, tmp_path) -> str:
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "72",
            "-png",
            "-singlefile",
            str(tmp_path / "c.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert len(codes) == 1
    return codes[0].text


def _page_status(world, url: str) -> str:
    parts = urlsplit(url)
    page = world.client.get(f"{parts.path}?{parts.query}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    return BeautifulSoup(page.text, "html.parser").select_one("[data-status]")["data-status"]


def test_approval_yields_a_valid_signed_certificate(world, approved, tmp_path):
    number = approved["number"]
    assert number.startswith("DINASA/TWO/") and number.endswith("/000001")
    metadata = world.client.get(
        f"/api/v1/certificates/{number}", headers=world.headers(approved["citizen"])
    ).json()
    assert metadata["status"] == "valid" and metadata["holder_name"] == "Siti Rahmawati"
    pdf = _pdf(world, approved["citizen"], number)
    check = check_pdf(pdf, material=world.runtime.certificates.material)
    assert check.authentic and check.reason == "ok"
    assert check.attachment["number"] == number
    report = pdfsig_report(pdf, tmp_path)  # poppler, independently of pyHanko
    assert report["valid"] and not report["digest_mismatch"], report["output"]


def test_approval_stamps_the_certificate_on_a_cached_page(world, approved):
    pdf = _pdf(world, approved["citizen"], approved["number"])
    assert is_stamped(pdf)  # the fast path made it (CertificateIssuer.produce)
    stamper = world.runtime.certificates.stamper
    layouts = stamper.layouts
    second = _approve(world, "Budi Santoso")
    pdf = _pdf(world, second["citizen"], second["number"])
    assert is_stamped(pdf) and stamper.layouts == layouts  # same shape: no WeasyPrint at all
    check = check_pdf(pdf, material=world.runtime.certificates.material)
    assert check.authentic and check.attachment["holder_name"] == "Budi Santoso"


def test_a_certificate_the_fast_path_cannot_lay_out_is_rendered_in_full(world, tmp_path):
    # Greek is outside the stamper's embedded repertoire: the full render takes over.
    citizen, officer = world.user("citizen", name="Ωmega Rahmawati"), world.user("officer")
    approved = world.in_state("approved", citizen=citizen, officer=officer)
    pdf = _pdf(world, citizen, approved["certificate_number"])
    assert not is_stamped(pdf)
    check = check_pdf(pdf, material=world.runtime.certificates.material)
    assert check.authentic and check.attachment["holder_name"] == "Ωmega Rahmawati"
    assert _qr_url(pdf, tmp_path).startswith("http://testserver/verify/")


def test_qr_code_leads_to_a_page_that_tracks_revocation(world, approved, tmp_path):
    pdf = _pdf(world, approved["citizen"], approved["number"])
    url = _qr_url(pdf, tmp_path)
    assert url.startswith("http://testserver/verify/")
    assert _page_status(world, url) == "valid"

    # The QR holds only the verification URL; the seal in certificate.json verifies offline
    # with PyJWT against our published JWKS.
    code = urlsplit(url).path.rsplit("/", 1)[1]
    assert url == f"http://testserver/verify/{code}"
    token = check_pdf(pdf, material=world.runtime.certificates.material).attachment["seal"]
    jwks = jwt.PyJWKSet.from_dict(world.client.get("/.well-known/jwks.json").json())
    claims = jwt.decode(token, jwks[jwt.get_unverified_header(token)["kid"]], algorithms=["ES256"])
    assert claims["num"] == approved["number"] and claims["name"] == "Siti Rahmawati"
    assert claims["code"] == code

    revoked = world.client.post(
        f"/api/v1/certificates/{approved['number']}/revoke",
        json={"reason": "Data usaha tidak benar"},
        headers=world.headers(approved["approver"]),
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
    assert _page_status(world, url) == "revoked"
    public = world.client.get(f"/api/v1/verify/{code}").json()
    assert public["status"] == "revoked" and public["holder_name_masked"] == "S*** R********"
    assert "nik" not in str(public).lower()


def test_uploaded_pdfs_are_checked(world, approved):
    pdf = _pdf(world, approved["citizen"], approved["number"])

    def upload(data: bytes, name="sertifikat.pdf"):
        response = world.client.post(
            "/api/v1/verify", files={"file": (name, data)}, headers={"Accept-Language": "en"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    genuine = upload(pdf)
    assert genuine["authentic"] and genuine["status"] == "valid"
    assert genuine["certificate"]["number"] == approved["number"]
    flipped = upload(flip_byte(pdf, stream_data_offset(pdf)))
    assert not flipped["authentic"] and flipped["reason"] == "digest_mismatch"
    edited = upload(append_content_edit(pdf))
    assert not edited["authentic"] and edited["reason"] == "modified_after_signing"
    assert not upload(b"hello, not a pdf")["authentic"]


def test_a_failure_while_signing_rolls_the_approval_back(world, monkeypatch):
    citizen = world.user("citizen")
    officer = world.user("officer")
    application = world.in_state("in_review", citizen=citizen, officer=officer)
    files_before = sorted(p for p in world.runtime.files.root.rglob("*") if p.is_file())

    def broken_sign(*args, **kwargs):
        raise OSError("HSM unreachable")

    monkeypatch.setattr(world.runtime.certificates.signer, "sign", broken_sign)
    refused = world.act(officer, application, "approve")
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    after = world.get(application["id"], officer)
    assert after["state"] == "in_review" and after["version"] == application["version"]
    assert after["certificate_number"] is None
    files_after = sorted(p for p in world.runtime.files.root.rglob("*") if p.is_file())
    assert files_after == files_before


def test_expired_certificates_say_so_everywhere(world, approved, db):
    with db() as session:
        certificate = session.exec(select(Certificate)).one()
        certificate.valid_until = date.today() - timedelta(days=2)
        session.add(certificate)
        code = certificate.verification_code
    assert world.client.get(f"/api/v1/verify/{code}").json()["status"] == "expired"
    metadata = world.client.get(
        f"/api/v1/certificates/{approved['number']}", headers=world.headers(approved["citizen"])
    ).json()
    assert metadata["status"] == "expired"


def test_unknown_codes_and_strangers_get_404(world, approved):
    assert world.client.get(f"/api/v1/verify/{uuid.uuid4().hex}").status_code == 404
    page = world.client.get("/verify/not-a-code")
    assert page.status_code == 404 and "No certificate" not in page.text  # Indonesian default
    stranger = world.user("citizen")
    response = world.client.get(
        f"/api/v1/certificates/{approved['number']}", headers=world.headers(stranger)
    )
    assert response.status_code == 404


def test_public_verification_is_throttled_per_address(world, approved, db):
    world.runtime.settings.public_rate_limit_per_minute = 3
    code = uuid.uuid4().hex
    statuses = [world.client.get(f"/api/v1/verify/{code}").status_code for _ in range(5)]
    assert statuses[:3] == [404, 404, 404]
    assert statuses[3:] == [429, 429]


def test_chain_is_published(world):
    pem = world.client.get("/api/v1/verify/chain.pem")
    assert pem.status_code == 200
    assert pem.text.count("BEGIN CERTIFICATE") == 3


def test_with_a_timestamp_authority_certificates_are_pades_b_t(world):
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from app.certificates.keys import ensure_chain
    from app.certificates.signing import dev_timestamper

    settings = world.runtime.settings
    ensure_chain(settings.certificates_dir, authority_name=settings.authority_name)
    world.runtime.timestamper = dev_timestamper(directory=settings.certificates_dir)
    citizen, officer = world.user("citizen"), world.user("officer")
    approved = world.in_state("approved", citizen=citizen, officer=officer)
    pdf = _pdf(world, citizen, approved["certificate_number"])
    material = world.runtime.certificates.material
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    context = ValidationContext(trust_roots=list(material.roots), allow_fetching=False)
    status = validate_pdf_signature(signature, signer_validation_context=context)
    assert status.bottom_line
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert check_pdf(pdf, material=world.runtime.certificates.material).authentic


def test_the_code_is_crockford_and_read_in_any_spelling(world, approved, db):
    with db() as session:
        certificate = session.exec(select(Certificate)).one()
        code = certificate.verification_code
    assert codes.normalise(code) == code and len(code) == 20
    sloppy = codes.display(code).lower().replace("0", "o").replace("1", "l")
    for typed in (code, code.lower(), codes.display(code), sloppy):
        answer = world.client.get(f"/api/v1/verify/{typed}")
        assert answer.status_code == 200, typed
        assert answer.json()["number"] == approved["number"]
        assert world.client.get(f"/verify/{typed}").status_code == 200
    typed = world.client.get("/verify", params={"code": sloppy}, follow_redirects=False)
    assert typed.headers["location"] == f"/verify/{code}"


def test_a_certificate_with_an_old_code_still_verifies(world, approved, db):
    legacy = "Zk3xQ9_aLm2VbR7tYc0pWe4sHn1"  # secrets.token_urlsafe(20), as issued before
    with db() as session:
        certificate = session.exec(select(Certificate)).one()
        certificate.verification_code = legacy
        session.add(certificate)
    assert world.client.get(f"/api/v1/verify/{legacy}").json()["number"] == approved["number"]
    assert world.client.get(f"/verify/{legacy}?t=a.b.c").status_code == 200
    assert world.client.get(f"/api/v1/verify/{legacy.upper()}").status_code == 404
