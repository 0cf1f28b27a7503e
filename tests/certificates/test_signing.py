"""PAdES signing: B-B and B-T on a WeasyPrint PDF/A-3b, checked by pyHanko and by poppler."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from app.certificates.keys import SigningMaterial, init_chain, load_material
from app.certificates.signing import (
    SIGNATURE_FIELD,
    DocumentSigner,
    dev_timestamper,
    make_timestamper,
)
from tests.certificates.pdfs import (
    FACTS,
    flip_byte,
    issue_rsa_signer,
    make_pdf,
    pdfa_identification,
    pdfsig_report,
    producers,
    stream_data_offset,
)

needs_pdfsig = pytest.mark.skipif(
    shutil.which("pdfsig") is None,
    reason="poppler's pdfsig is not installed (apt-get install --no-install-recommends "
    "poppler-utils): the independent integrity check cannot run",
)


@pytest.fixture(scope="module")
def chain_dir(tmp_path_factory) -> Path:
    return init_chain(tmp_path_factory.mktemp("chain") / "certificates", authority_name="Dinas Uji")


@pytest.fixture(scope="module")
def material(chain_dir) -> SigningMaterial:
    return load_material(directory=chain_dir)


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return make_pdf()


@pytest.fixture(scope="module", params=["B-B", "B-T"])
def signer(request, material, chain_dir) -> DocumentSigner:
    timestamper = dev_timestamper(directory=chain_dir) if request.param == "B-T" else None
    return DocumentSigner(material, timestamper=timestamper)


@pytest.fixture(scope="module")
def signed(signer, unsigned) -> bytes:
    return signer.sign(unsigned, reason="Sertifikat 123", location="Jakarta", signer_name="Dinas")


def _status(pdf: bytes, material: SigningMaterial):
    context = ValidationContext(trust_roots=list(material.roots), allow_fetching=False)
    embedded = PdfFileReader(BytesIO(pdf)).embedded_signatures[0]
    return embedded, validate_pdf_signature(embedded, signer_validation_context=context)


def test_signature_validates_in_pyhanko(signer, signed, material):
    embedded, status = _status(signed, material)
    assert status.bottom_line
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert embedded.field_name == SIGNATURE_FIELD
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Reason"] == "Sertifikat 123"
    assert embedded.sig_object["/Location"] == "Jakarta"
    assert embedded.docmdp_level == MDPPerm.NO_CHANGES  # a certification signature
    if signer.level == "B-T":
        assert status.timestamp_validity is not None
        assert status.timestamp_validity.valid and status.timestamp_validity.trusted
    else:
        assert status.timestamp_validity is None


def test_signing_appends_an_incremental_update(signed, unsigned):
    assert signed.startswith(unsigned)


@needs_pdfsig
def test_pdfsig_independently_finds_the_signature_valid(signed, tmp_path):
    report = pdfsig_report(signed, tmp_path)
    assert report["signatures"] == 1, report["output"]
    assert report["valid"] and not report["digest_mismatch"], report["output"]
    assert report["total_document_signed"], report["output"]
    assert report["field_name"] == SIGNATURE_FIELD
    assert report["signature_type"] == "ETSI.CAdES.detached"


@needs_pdfsig
def test_pdfsig_catches_a_flipped_byte(signed, tmp_path):
    # pdfsig exits 0 either way, so the helper must read the text: prove that it does.
    report = pdfsig_report(flip_byte(signed, stream_data_offset(signed)), tmp_path)
    assert report["returncode"] == 0
    assert report["digest_mismatch"] and not report["valid"], report["output"]


def test_producer_metadata_stays_consistent_and_pdfa_intact(signed, unsigned):
    assert len(set(producers(unsigned))) == 1
    info, xmp = producers(signed)
    assert info == xmp and xmp.startswith("pyHanko")
    assert pdfa_identification(signed) == ("3", "B", True)


def test_attachment_survives_signing(signed):
    import pikepdf

    with pikepdf.open(BytesIO(signed)) as pdf:
        assert list(pdf.attachments) == ["certificate.json"]
        data = pdf.attachments["certificate.json"].get_file().read_bytes()
    assert b'"number": "' + FACTS["number"].encode() in data


def test_key_is_loaded_once_not_per_signature(material, unsigned, monkeypatch):
    signer = DocumentSigner(material)
    calls = []
    original = serialization.load_der_private_key

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    # pyHanko's stock SimpleSigner parses the key with this on every signature.
    monkeypatch.setattr(serialization, "load_der_private_key", counting)
    for number in range(5):
        signer.sign(unsigned, reason=f"Sertifikat {number}", location="Jakarta")
    assert calls == []


def test_signature_size_is_estimated_once(material, unsigned, monkeypatch):
    signer = DocumentSigner(material)
    assert signer.bytes_reserved is None
    signer.calibrate()
    reserved = signer.bytes_reserved
    assert 3000 < reserved < 8000  # ECDSA B-B: about 4,300 hex characters plus the margin

    def no_estimates(*args, **kwargs):
        raise AssertionError("pyHanko estimated the size again (a second signature)")

    monkeypatch.setattr(PdfSigningSession, "estimate_signature_container_size", no_estimates)
    for _ in range(3):
        signer.sign(unsigned, reason="r", location="Jakarta")
    assert signer.bytes_reserved == reserved


def test_a_reservation_that_turns_out_too_small_is_re_estimated(material, unsigned):
    signer = DocumentSigner(material)
    signer.calibrate()
    signer._reserved = 1000  # as if the TSA's tokens had grown since calibration
    signed = signer.sign(unsigned, reason="r", location="Jakarta")
    assert _status(signed, material)[1].bottom_line
    assert signer.bytes_reserved > 1000


def test_rsa_material_signs_and_validates(chain_dir, unsigned, tmp_path):
    key_file, cert_file = issue_rsa_signer(chain_dir, tmp_path)
    material = load_material(
        key_file=key_file, cert_file=cert_file, chain_file=chain_dir / "chain.pem"
    )
    signed = DocumentSigner(material).sign(unsigned, reason="r", location="Jakarta")
    assert _status(signed, material)[1].bottom_line


def test_one_signer_serves_several_threads(material, chain_dir, unsigned):
    signer = DocumentSigner(material, timestamper=dev_timestamper(directory=chain_dir))

    def sign(number: int) -> bytes:
        return signer.sign(unsigned, reason=f"Sertifikat {number}", location="Jakarta")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(sign, range(8)))
    assert len(set(results)) == 8
    assert all(_status(pdf, material)[1].bottom_line for pdf in results)


def test_make_timestamper():
    assert make_timestamper(None) is None
    assert make_timestamper("") is None
    timestamper = make_timestamper("https://tsa.example.test/tsr", timeout_seconds=3)
    assert isinstance(timestamper, HTTPTimeStamper)
    assert timestamper.url == "https://tsa.example.test/tsr" and timestamper.timeout == 3
