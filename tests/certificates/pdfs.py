"""Test PDFs and tools for the certificate tests: WeasyPrint PDF/A-3b, tampering, pdfsig."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pikepdf
import weasyprint
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from app.certificates.keys import ensure_chain

FACTS = {"schema": "loket.certificate/1", "number": "503/IUMK/2026/000123", "holder": "Siti"}

_HTML = """<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{title}</title>
<style>@page {{ size: A4; margin: 2cm; font-family: "DejaVu Sans" }}
body {{ font-family: "DejaVu Sans" }}</style></head>
<body><h1>{title}</h1><p>Nomor {number}</p><p>Pemegang: Siti Rahmawati</p></body></html>"""


def make_pdf(*, facts: dict[str, Any] | None = FACTS, title: str = "Izin Usaha Mikro") -> bytes:
    """A one-page PDF/A-3b, with ``facts`` attached as certificate.json unless None."""
    attachments = []
    if facts is not None:
        attachments.append(
            weasyprint.Attachment(
                string=json.dumps(facts), name="certificate.json", relationship="Data"
            )
        )
    number = (facts or {}).get("number", "-")
    html = _HTML.format(title=title, number=number)
    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/a-3b", attachments=attachments)


def producers(pdf: bytes) -> tuple[str, str]:
    """(Info /Producer, XMP pdf:Producer) as read back by pikepdf."""
    with pikepdf.open(BytesIO(pdf)) as doc:
        info = str(doc.docinfo.get("/Producer"))
        xmp = str(doc.open_metadata().get("pdf:Producer"))
    return info, xmp


def is_stamped(pdf: bytes) -> bool:
    """Whether the fast path made this page (it carries the stamper's own fonts)."""
    with pikepdf.open(BytesIO(pdf)) as doc:
        return any(str(name).startswith("/LoketF") for name in doc.pages[0].Resources.Font)


def pdfa_identification(pdf: bytes) -> tuple[str | None, str | None, bool]:
    """(pdfaid:part, pdfaid:conformance, has an output intent) as read back by pikepdf."""
    with pikepdf.open(BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
        return part, conformance, "/OutputIntents" in doc.Root


def append_content_edit(pdf: bytes) -> bytes:
    """Append an unsigned incremental update that replaces the first page's content."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0]
    forged = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (FORGED) Tj ET")
    page["/Contents"] = writer.add_object(forged)
    writer.update_container(page)
    return _written(writer)


def append_annotation(pdf: bytes) -> bytes:
    """Append an unsigned update adding a sticky note, the way a PDF viewer would."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    note = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Text"),
            generic.pdf_name("/Rect"): generic.ArrayObject(
                [generic.NumberObject(n) for n in (50, 50, 70, 70)]
            ),
            generic.pdf_name("/Contents"): generic.TextStringObject("Masa berlaku: 2099"),
            generic.pdf_name("/P"): page_ref,
        }
    )
    annots = generic.ArrayObject(list(page.get("/Annots", [])))
    annots.append(writer.add_object(note))
    page["/Annots"] = annots
    writer.update_container(page)
    return _written(writer)


def append_title_change(pdf: bytes) -> bytes:
    """Append an unsigned update that only changes the Info /Title."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    info_ref = writer.trailer.raw_get("/Info")
    info_ref.get_object()["/Title"] = generic.TextStringObject("Sertifikat Palsu")
    writer.mark_update(info_ref)
    return _written(writer)


def _written(writer: IncrementalPdfFileWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def stream_data_offset(pdf: bytes, *, occurrence: int = 1) -> int:
    """An offset inside a stream's data: flipping it breaks the digest but not the parser."""
    starts = [match.end() for match in re.finditer(rb"stream\r?\n", pdf)]
    return starts[occurrence] + 5


def flip_byte(pdf: bytes, offset: int) -> bytes:
    """``pdf`` with one bit flipped at ``offset``."""
    data = bytearray(pdf)
    data[offset] ^= 0x01
    return bytes(data)


def issue_rsa_signer(chain_dir: Path, target: Path) -> tuple[Path, Path]:
    """An RSA-2048 signer key and certificate issued by a local chain's issuing CA."""
    ca_key = serialization.load_pem_private_key(
        (chain_dir / "ca" / "issuing-ca.key").read_bytes(), password=None
    )
    ca_cert = x509.load_pem_x509_certificate((chain_dir / "issuing-ca.pem").read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "RSA Signer")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key_path, cert_path = target / "rsa.key", target / "rsa.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def signer_sha256_after_ensure(directory: str) -> str:
    """Run ensure_chain (in a child process) and report which signer certificate it loaded."""
    return ensure_chain(Path(directory), authority_name="Dinas Uji").describe()[0]["sha256"]


def pdfsig_report(pdf: bytes, tmp_path: Path) -> dict[str, Any]:
    """Run poppler's pdfsig on ``pdf`` and parse its text (it exits 0 even on a bad digest)."""
    executable = shutil.which("pdfsig")
    if executable is None:
        raise FileNotFoundError("pdfsig")
    path = tmp_path / "pdfsig-input.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        [executable, str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    output = result.stdout + result.stderr
    return {
        "returncode": result.returncode,
        "output": output,
        "signatures": output.count("Signature #"),
        "valid": "Signature Validation: Signature is Valid." in output,
        "digest_mismatch": "Digest Mismatch" in output,
        "total_document_signed": "Total document signed" in output,
        "field_name": _first(r"Signature Field Name: (.+)", output),
        "signature_type": _first(r"Signature Type: (.+)", output),
    }


def _first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text)
    return match.group(1).strip() if match else None
