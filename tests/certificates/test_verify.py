"""check_pdf: authentic certificates pass; tampered, foreign, broken or odd files never do."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator import ValidationContext

from app.certificates.keys import SigningMaterial, init_chain, load_material
from app.certificates.signing import DocumentSigner, dev_timestamper
from app.certificates.verify import MESSAGES, PdfCheck, check_pdf
from app.errors import Msg
from tests.certificates.pdfs import (
    FACTS,
    append_annotation,
    append_content_edit,
    append_title_change,
    flip_byte,
    make_pdf,
    pdfsig_report,
    stream_data_offset,
)

REASONS = {
    "ok", "not_pdf", "damaged", "no_signature", "modified_after_signing", "digest_mismatch",
    "untrusted_signer", "invalid_signature", "too_large",
}  # fmt: skip


@pytest.fixture(scope="module")
def chain_dir(tmp_path_factory) -> Path:
    return init_chain(tmp_path_factory.mktemp("chain") / "certificates", authority_name="Dinas Uji")


@pytest.fixture(scope="module")
def material(chain_dir) -> SigningMaterial:
    return load_material(directory=chain_dir)


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return make_pdf()


@pytest.fixture(scope="module")
def signed(material, unsigned) -> bytes:
    return DocumentSigner(material).sign(unsigned, reason="Sertifikat", location="Jakarta")


@pytest.fixture(scope="module")
def signed_bt(material, chain_dir, unsigned) -> bytes:
    signer = DocumentSigner(material, timestamper=dev_timestamper(directory=chain_dir))
    return signer.sign(unsigned, reason="Sertifikat", location="Jakarta")


def _rejected(check: PdfCheck, reason: str) -> None:
    assert (check.authentic, check.reason) == (False, reason)
    assert check.message == MESSAGES[reason]
    assert check.attachment is None


def test_every_reason_has_a_bilingual_message():
    assert set(MESSAGES) == REASONS
    assert all(isinstance(m, Msg) and m.id and m.en and m.id != m.en for m in MESSAGES.values())


def test_authentic_b_b_certificate(signed, material):
    check = check_pdf(signed, material=material)
    assert (check.authentic, check.reason) == (True, "ok")
    assert check.message.en.startswith("Authentic")
    assert check.attachment == FACTS
    assert check.signer_subject == material.describe()[0]["subject"]
    assert abs(check.signed_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_authentic_b_t_certificate_reports_the_timestamp_time(signed_bt, material):
    check = check_pdf(signed_bt, material=material)
    assert (check.authentic, check.reason, check.attachment) == (True, "ok", FACTS)
    assert abs(check.signed_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert check.signed_at.microsecond != 0  # the TSA's time, not the signer's whole seconds


def test_flipped_byte_inside_the_signed_range_is_a_digest_mismatch(signed, material):
    for occurrence in (1, 3):
        tampered = flip_byte(signed, stream_data_offset(signed, occurrence=occurrence))
        _rejected(check_pdf(tampered, material=material), "digest_mismatch")


def test_no_flipped_byte_in_the_signed_range_passes_and_none_raises(signed, material):
    contents_start = signed.rindex(b"/Contents <") + len(b"/Contents <")
    contents_end = signed.index(b">", contents_start)
    for offset in range(0, len(signed), max(1, len(signed) // 150)):
        check = check_pdf(flip_byte(signed, offset), material=material)
        assert check.reason in REASONS
        # The /Contents hex string is the one part outside the signed range; a flip there may
        # land in its zero padding or in the unsigned certificate bag and change nothing.
        if not contents_start <= offset < contents_end:
            assert not check.authentic, offset


@pytest.mark.parametrize("edit", [append_content_edit, append_annotation, append_title_change])
def test_unsigned_update_after_signing_is_modified_after_signing(edit, signed, material):
    tampered = edit(signed)
    assert tampered.startswith(signed)
    check = check_pdf(tampered, material=material)
    _rejected(check, "modified_after_signing")
    assert check.message.en == "This PDF was changed after it was signed"


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler's pdfsig is not installed")
def test_pdfsig_alone_would_accept_the_appended_edit(signed, tmp_path):
    # Why check_pdf, not pdfsig, gives the verdict: pdfsig only notes partial coverage.
    report = pdfsig_report(append_content_edit(signed), tmp_path)
    assert report["valid"] and not report["total_document_signed"], report["output"]


def test_a_later_document_timestamp_keeps_it_authentic(signed_bt, material, chain_dir):
    # PAdES B-LTA appends a DSS and a document timestamp; the DocMDP "no changes" level of our
    # certification signature and check_pdf's own rule must both let that through.
    context = ValidationContext(trust_roots=list(material.roots), allow_fetching=False)
    stamper = signers.PdfTimeStamper(dev_timestamper(directory=chain_dir))
    writer = IncrementalPdfFileWriter(BytesIO(signed_bt))
    extended = stamper.timestamp_pdf(writer, "sha256", validation_context=context).getvalue()
    check = check_pdf(extended, material=material)
    assert (check.authentic, check.attachment) == (True, FACTS)


def test_trailing_bytes_after_the_last_eof_change_nothing(signed, material):
    assert check_pdf(signed + b"\n", material=material).authentic


def test_signed_by_another_chain_is_an_untrusted_signer(tmp_path, unsigned, material):
    foreign = load_material(directory=init_chain(tmp_path / "foreign", authority_name="Dinas Uji"))
    signed = DocumentSigner(foreign).sign(unsigned, reason="Sertifikat", location="Jakarta")
    check = check_pdf(signed, material=material)
    _rejected(check, "untrusted_signer")
    assert check.signer_subject == foreign.describe()[0]["subject"]
    assert check_pdf(signed, material=foreign).authentic


def test_unsigned_pdf_has_no_signature(unsigned, material):
    _rejected(check_pdf(unsigned, material=material), "no_signature")


@pytest.mark.parametrize(
    "data", [b"", b"hello", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"x" * 1024 + b"%PDF-1.7\n"]
)
def test_not_a_pdf(data, material):
    _rejected(check_pdf(data, material=material), "not_pdf")


def test_garbage_after_a_pdf_header_is_damaged(material):
    _rejected(check_pdf(b"%PDF-1.7\n" + bytes(range(256)) * 8, material=material), "damaged")


def test_truncated_signed_pdf_is_damaged(signed, unsigned, material):
    for length in (len(signed) - 1, len(signed) - 300, len(unsigned) + 500, len(signed) // 2, 20):
        check = check_pdf(signed[:length], material=material)
        assert not check.authentic
        assert check.reason == "damaged", length


def test_oversize_upload_is_refused_before_parsing(signed, material):
    _rejected(check_pdf(signed, material=material, max_bytes=len(signed) - 1), "too_large")
    assert check_pdf(signed, material=material, max_bytes=len(signed)).authentic


def test_attachment_is_absent_without_a_certificate_json(material):
    signed = DocumentSigner(material).sign(make_pdf(facts=None), reason="r", location="Jakarta")
    check = check_pdf(signed, material=material)
    assert check.authentic and check.attachment is None
