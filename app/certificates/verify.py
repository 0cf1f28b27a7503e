"""Is an uploaded PDF a certificate we signed, unchanged since?

pyHanko's ``validate_pdf_signature(...).bottom_line`` is the verdict (integrity, signature, trust
in our roots only, timestamp, DocMDP), with one stricter rule on top: after our signature only
long-term validation data (a DSS, document timestamps) may be appended. pyHanko alone also lets
through metadata-only updates, and form filling or annotations on a signature without DocMDP.
Never raises on bad input: every failure is a ``PdfCheck`` with a reason code.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

import pikepdf
from cryptography import x509
from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from app.certificates.keys import SigningMaterial
from app.errors import Msg

log = logging.getLogger(__name__)

ATTACHMENT_NAME = "certificate.json"
MAX_ATTACHMENT_BYTES = 1024 * 1024
# The PDF header may follow up to 1024 bytes of junk (ISO 32000-2, 7.5.2).
_HEADER_WINDOW = 1024
_COVERS_OWN_REVISION = (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
# Our certificates decode to well under a megabyte; pyHanko's defaults allow 100x the upload size
# in total, far more decompression work than a public endpoint should do for a stranger.
_DECODE_LIMITS = DecodeLimits(
    document_budget=DocumentDecodeBudget(base_allowance=64 * 1024 * 1024, max_ratio=10)
)

MESSAGES = {
    "ok": Msg(
        "Dokumen asli: ditandatangani oleh penerbit dan tidak diubah sejak ditandatangani",
        "Authentic: signed by the issuer and unchanged since it was signed",
    ),
    "not_pdf": Msg("Berkas ini bukan PDF", "This file is not a PDF"),
    "damaged": Msg(
        "Berkas PDF rusak atau terpotong dan tidak dapat diperiksa",
        "The PDF is damaged or truncated and cannot be checked",
    ),
    "no_signature": Msg(
        "PDF ini tidak memiliki tanda tangan elektronik", "This PDF has no electronic signature"
    ),
    "modified_after_signing": Msg(
        "PDF ini diubah setelah ditandatangani", "This PDF was changed after it was signed"
    ),
    "digest_mismatch": Msg(
        "Isi PDF tidak cocok dengan tanda tangannya: dokumen telah diubah",
        "The PDF's content does not match its signature: the document was altered",
    ),
    "untrusted_signer": Msg(
        "PDF ini tidak ditandatangani oleh penerbit sertifikat ini",
        "This PDF was not signed by this certificate issuer",
    ),
    "invalid_signature": Msg(
        "Tanda tangan elektronik pada PDF ini tidak sah",
        "The PDF's electronic signature is invalid",
    ),
    "too_large": Msg("Berkas terlalu besar untuk diperiksa", "The file is too large to check"),
}


@dataclass(frozen=True)
class PdfCheck:
    """The verdict on one uploaded PDF; ``attachment`` is only filled in when authentic."""

    authentic: bool
    reason: str
    message: Msg
    signer_subject: str | None = None
    signed_at: datetime | None = None
    attachment: dict[str, Any] | None = None


def check_pdf(
    data: bytes, *, material: SigningMaterial, max_bytes: int = 10 * 1024 * 1024
) -> PdfCheck:
    """Check that ``data`` is a PDF signed by ``material``'s chain and not changed since."""
    if len(data) > max_bytes:
        return _fail("too_large")
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        return _fail("not_pdf")
    try:
        embedded = _first_signature(data)
    except Exception as exc:  # any parser failure on untrusted input means "cannot read it"
        log.info("unreadable PDF upload: %s: %s", type(exc).__name__, exc)
        return _fail("damaged")
    if embedded is None:
        return _fail("damaged" if _looks_cut_short(data) else "no_signature")
    if _signed_length(embedded) > len(data):
        return _fail("damaged")  # cut short: the signature covers bytes that are not there
    try:
        status = validate_pdf_signature(
            embedded, signer_validation_context=_validation_context(material)
        )
    except Exception as exc:  # a malformed signature dictionary or CMS blob
        log.info("unverifiable signature: %s: %s", type(exc).__name__, exc)
        return _fail("invalid_signature")
    return _verdict(status, data=data, embedded=embedded)


def _first_signature(data: bytes) -> EmbeddedPdfSignature | None:
    """The earliest regular signature: ours, covering the document as issued."""
    reader = PdfFileReader(BytesIO(data), decode_limits=_DECODE_LIMITS)
    signatures = reader.embedded_regular_signatures
    return signatures[0] if signatures else None


def _looks_cut_short(data: bytes) -> bool:
    """Signature bytes without a readable signature, or a half-written revision after %%EOF."""
    end = data.rfind(b"%%EOF")
    return b"/ByteRange" in data or end < 0 or bool(data[end + 5 :].strip())


def _validation_context(material: SigningMaterial) -> ValidationContext:
    # Our roots only, no network. Revocation is soft-fail: our chain publishes no CRL or OCSP,
    # and whether a certificate was revoked is the certificate register's job, not the PDF's.
    return ValidationContext(
        trust_roots=list(material.roots),
        other_certs=list(material.chain),
        allow_fetching=False,
        revocation_mode="soft-fail",
    )


def _verdict(
    status: PdfSignatureStatus, *, data: bytes, embedded: EmbeddedPdfSignature
) -> PdfCheck:
    reason = _failure_reason(status, embedded)
    subject = _subject(status)
    signed_at = _signed_at(status)
    if reason is not None:
        return _fail(reason, signer_subject=subject, signed_at=signed_at)
    return PdfCheck(
        authentic=True,
        reason="ok",
        message=MESSAGES["ok"],
        signer_subject=subject,
        signed_at=signed_at,
        attachment=_attachment(_signed_revision(data, embedded)),
    )


def _failure_reason(status: PdfSignatureStatus, embedded: EmbeddedPdfSignature) -> str | None:
    """The first thing wrong, most fundamental first; None when the signature stands."""
    if not status.intact:
        return "digest_mismatch"
    if not status.valid:
        return "invalid_signature"
    if status.coverage not in _COVERS_OWN_REVISION:
        return "invalid_signature"  # the byte range leaves out part of its own revision
    if not _unchanged_since_signing(status, embedded):
        return "modified_after_signing"
    if not status.trusted:
        return "untrusted_signer"
    if not status.bottom_line:  # e.g. a timestamp token that does not verify
        return "invalid_signature"
    return None


def _unchanged_since_signing(status: PdfSignatureStatus, embedded: EmbeddedPdfSignature) -> bool:
    """Nothing after our signature but bytes that change nothing, or long-term validation data."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    if status.docmdp_ok is False:
        return False
    level = status.modification_level
    if level == ModificationLevel.NONE:
        return True  # e.g. bytes after %%EOF that no revision uses
    # pyHanko files Info and XMP edits under "LTA updates" together with DSS and document
    # timestamps. Without any long-term data added, such an update is just a metadata edit.
    return level == ModificationLevel.LTA_UPDATES and _has_long_term_data(embedded)


def _has_long_term_data(embedded: EmbeddedPdfSignature) -> bool:
    reader = embedded.reader
    return "/DSS" in reader.root or bool(reader.embedded_timestamp_signatures)


def _subject(status: PdfSignatureStatus) -> str | None:
    """The signer's distinguished name, written as ``SigningMaterial.describe`` writes it."""
    if status.signing_cert is None:
        return None
    return x509.load_der_x509_certificate(status.signing_cert.dump()).subject.rfc4514_string()


def _signed_at(status: PdfSignatureStatus) -> datetime | None:
    """The timestamp authority's time when there is one, else the time the signer claims."""
    timestamp = status.timestamp_validity
    if timestamp is not None and timestamp.intact and timestamp.valid:
        return timestamp.timestamp
    return status.signer_reported_dt


def _signed_length(embedded: EmbeddedPdfSignature) -> int:
    """Where the signature's byte range ends: the length of the file as it was signed."""
    _, _, second_start, second_length = (int(value) for value in embedded.byte_range)
    return second_start + second_length


def _signed_revision(data: bytes, embedded: EmbeddedPdfSignature) -> bytes:
    """The file exactly as signed, without anything appended later."""
    return data[: _signed_length(embedded)]


def _attachment(signed: bytes) -> dict[str, Any] | None:
    """certificate.json from the signed revision, so a later update can never swap it."""
    try:
        with pikepdf.open(BytesIO(signed)) as pdf:
            spec = pdf.attachments.get(ATTACHMENT_NAME)
            if spec is None:
                return None
            stream = spec.get_file()
            if stream.size > MAX_ATTACHMENT_BYTES:
                return None
            parsed = json.loads(stream.read_bytes())
    except (pikepdf.PdfError, ValueError, KeyError, AttributeError) as exc:
        log.info("unreadable %s in a signed PDF: %s", ATTACHMENT_NAME, exc)
        return None
    return parsed if isinstance(parsed, dict) else None


def _fail(
    reason: str, *, signer_subject: str | None = None, signed_at: datetime | None = None
) -> PdfCheck:
    return PdfCheck(
        authentic=False,
        reason=reason,
        message=MESSAGES[reason],
        signer_subject=signer_subject,
        signed_at=signed_at,
    )
