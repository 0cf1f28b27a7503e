"""Certificate PDFs: PDF/A-3b, embedded facts, fonts, determinism, escaping, QR, one page."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pikepdf
import pytest
import segno
import zxingcpp
from PIL import Image

from app.certificates import codes
from app.certificates.codes import display as display_code
from app.certificates.qr import ERROR_LEVEL
from app.certificates.render import (
    CertificateFacts,
    CertificateRenderer,
    canonical_json,
    format_date,
    verify_page_url,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
LONG_ADDRESS = (
    "Jl. Jenderal Sudirman Kav. 52-53, Gedung Graha Niaga Lantai 17 Unit 1702, RT 005/RW 003, "
    "Kelurahan Senayan, Kecamatan Kebayoran Baru, Kota Administrasi Jakarta Selatan, "
    "Daerah Khusus Ibukota Jakarta 12190, Indonesia (masuk dari pintu lobi timur, "
    "sebelah kantor pos dan gerai ATM bersama, dekat halte TransJakarta)"
)[:300]

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="poppler-utils (pdftotext, pdftoppm) not installed",
)


def _url_safe(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(URL_SAFE) for _ in range(length))


def realistic_verify_url(*, seed: int = 1) -> str:
    """A verify URL shaped like production: a 20-symbol Crockford code under the public URL."""
    rng = random.Random(seed)
    code = "".join(rng.choice(codes.ALPHABET) for _ in range(codes.LENGTH))
    return f"https://perizinan.jakarta.go.id/verify/{code}"


def realistic_seal(*, seed: int = 1, length: int = 300) -> str:
    """An ES256 compact JWS as long as production's (header.payload.signature)."""
    rng = random.Random(seed)
    # An ES256 signature is 64 bytes = 86 base64url characters.
    return ".".join(_url_safe(rng, n) for n in (36, length - 36 - 86 - 2, 86))


def make_facts(**overrides: object) -> CertificateFacts:
    url = realistic_verify_url()
    facts = CertificateFacts(
        number="DPMPTSP/SKDU/2026/000123",
        verification_code=url.rsplit("/", 1)[1],
        verify_url=url,
        seal=realistic_seal(),
        authority_name="Pemerintah Provinsi DKI Jakarta",
        department_name="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        service_code="SKDU",
        service_name_id="Surat Keterangan Domisili Usaha",
        service_name_en="Business Domicile Certificate",
        holder_name="Siti Nurhaliza Rahmawati",
        fields=(
            ("Nama usaha", "Business name", "Warung Makan Sederhana Bu Siti"),
            ("Alamat usaha", "Business address", LONG_ADDRESS),
            ("Bidang usaha", "Line of business", "Restoran / rumah makan (KBLI 56101)"),
        ),
        issued_at=datetime(2026, 11, 28, 3, 15, 42, tzinfo=UTC),
        valid_until=date(2027, 8, 28),
        approved_by="Drs. Bambang Susilo, M.Si.",
    )
    return replace(facts, **overrides)


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer(templates_dir=TEMPLATES)


@pytest.fixture(scope="module")
def facts() -> CertificateFacts:
    return make_facts()


@pytest.fixture(scope="module")
def pdf_bytes(renderer: CertificateRenderer, facts: CertificateFacts) -> bytes:
    return renderer.render(facts)


@pytest.fixture
def pdf(pdf_bytes: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(pdf_bytes))


def pdf_text(data: bytes) -> str:
    """The text poppler extracts, as a reader's copy-paste would get it."""
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode()


def decode_qr(data: bytes, *, dpi: int, tmp_path: Path) -> list[str]:
    """Rasterise page 1 like a scanner would and read every QR code in the pixels."""
    source = tmp_path / "certificate.pdf"
    source.write_bytes(data)
    root = tmp_path / f"page-{dpi}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(source), str(root)], check=True
    )
    with Image.open(f"{root}.png") as image:
        return [found.text for found in zxingcpp.read_barcodes(image)]


def test_render_is_pdf_a3b_with_output_intent(pdf_bytes: bytes, pdf: pikepdf.Pdf) -> None:
    assert pdf_bytes.startswith(b"%PDF-")
    metadata = pdf.open_metadata(set_pikepdf_as_editor=False)
    assert metadata.get("pdfaid:part") == "3"
    assert metadata.get("pdfaid:conformance") == "B"
    intents = pdf.Root.OutputIntents
    assert len(intents) == 1
    assert intents[0].S == "/GTS_PDFA1"
    assert "/DestOutputProfile" in intents[0]


def test_metadata_dates_are_the_issue_time(pdf: pikepdf.Pdf) -> None:
    assert str(pdf.docinfo.CreationDate) == "D:20261128031542Z"
    assert str(pdf.docinfo.ModDate) == "D:20261128031542Z"
    assert str(pdf.docinfo.Title) == "Surat Izin DPMPTSP/SKDU/2026/000123"
    metadata = pdf.open_metadata(set_pikepdf_as_editor=False)
    assert metadata.get("xmp:CreateDate") == "2026-11-28T03:15:42Z"


def test_every_font_is_embedded_dejavu(pdf: pikepdf.Pdf) -> None:
    fonts = pdf.pages[0].Resources.Font
    assert len(fonts) >= 2
    for font in fonts.values():
        descriptor = _descriptor(font)
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font.BaseFont
        # Subset fonts are named "ABCDEF+Family-Style".
        family = str(font.BaseFont).split("+", 1)[-1]
        assert family.startswith("DejaVu"), family


def _descriptor(font: pikepdf.Dictionary) -> pikepdf.Dictionary:
    if font.Subtype == "/Type0":
        return font.DescendantFonts[0].FontDescriptor
    return font.FontDescriptor


@needs_poppler
def test_text_is_extractable(pdf_bytes: bytes, facts: CertificateFacts) -> None:
    text = pdf_text(pdf_bytes)
    for expected in (
        "SURAT IZIN",
        "CERTIFICATE",
        facts.number,
        facts.holder_name,
        facts.service_name_id,
        facts.service_name_en,
        facts.approved_by,
        display_code(facts.verification_code),
        "28 November 2026",
        "28 Agustus 2027",
        "28 August 2027",
        "https://perizinan.jakarta.go.id/verify untuk",
        "Scan the QR code or upload this file at https://perizinan.jakarta.go.id/verify",
    ):
        assert expected in text


def test_certificate_json_is_attached_as_associated_data(
    pdf: pikepdf.Pdf, facts: CertificateFacts
) -> None:
    attachment = pdf.attachments["certificate.json"]
    content = attachment.get_file().read_bytes()
    assert content == canonical_json(facts.as_json())
    assert json.loads(content) == facts.as_json()
    assert attachment.obj.AFRelationship == "/Data"
    assert attachment.get_file().obj.Subtype == "/application/json"
    # PDF/A-3 wants the file listed once among the document's associated files.
    assert [spec.objgen for spec in pdf.Root.AF] == [attachment.obj.objgen]


def test_json_facts_carry_no_officer_and_no_nik(facts: CertificateFacts) -> None:
    data = facts.as_json()
    assert data["holder_name"] == facts.holder_name
    assert data["issued_at"] == "2026-11-28T03:15:42Z"
    assert data["valid_until"] == "2027-08-28"
    # Only the holder is named: the officer and any identity number stay out of the file.
    assert set(data) == {
        "schema", "number", "verification_code", "verify_url", "authority", "department",
        "service", "holder_name", "fields", "issued_at", "valid_until", "seal",
    }  # fmt: skip
    assert data["seal"] == facts.seal
    assert facts.approved_by not in json.dumps(data)


def test_same_facts_give_identical_bytes(
    renderer: CertificateRenderer, facts: CertificateFacts, pdf_bytes: bytes
) -> None:
    assert renderer.render(facts) == pdf_bytes
    # A fresh renderer has a new font cache in a new temporary folder: still the same bytes.
    assert CertificateRenderer(templates_dir=TEMPLATES).render(facts) == pdf_bytes


def test_different_facts_give_different_file_ids(
    renderer: CertificateRenderer, pdf: pikepdf.Pdf
) -> None:
    other = pikepdf.open(io.BytesIO(renderer.render(make_facts(number="X/Y/2026/000124"))))
    assert other.trailer.ID[0] != pdf.trailer.ID[0]


@needs_poppler
def test_holder_name_is_escaped_not_markup(renderer: CertificateRenderer) -> None:
    name = "<script>alert(1)</script> & <b>Budi</b>"
    text = pdf_text(renderer.render(make_facts(holder_name=name)))
    assert name in text


@needs_poppler
@pytest.mark.parametrize("dpi", [150, 100, 72])
def test_qr_on_the_page_decodes_to_the_verify_url(
    pdf_bytes: bytes, facts: CertificateFacts, dpi: int, tmp_path: Path
) -> None:
    assert decode_qr(pdf_bytes, dpi=dpi, tmp_path=tmp_path) == [facts.verify_url]


def test_the_qr_code_carries_only_the_short_verification_url(facts: CertificateFacts) -> None:
    # 59 bytes for this public URL: a version-4 symbol (33 modules) at level M; the old URL with
    # the seal in it (~418 bytes) needed version 15 (77 modules).
    assert facts.verify_url == f"https://perizinan.jakarta.go.id/verify/{facts.verification_code}"
    assert len(facts.verify_url.encode()) == 59
    assert segno.make(facts.verify_url, error=ERROR_LEVEL, micro=False).version <= 4
    assert facts.seal not in facts.verify_url


@needs_poppler
@pytest.mark.parametrize("seed", [2, 3])
def test_qr_decodes_at_72_dpi_for_other_codes(
    renderer: CertificateRenderer, seed: int, tmp_path: Path
) -> None:
    url = realistic_verify_url(seed=seed)
    data = renderer.render(make_facts(verify_url=url, verification_code=url.rsplit("/", 1)[1]))
    assert decode_qr(data, dpi=72, tmp_path=tmp_path) == [url]


def test_long_values_stay_on_one_page(renderer: CertificateRenderer) -> None:
    unbroken = "X" * 300  # no break opportunity at all: must still wrap, not run off the page
    facts = make_facts(
        holder_name="PT " + "Sumber Rejeki Abadi Sentosa Makmur Jaya " * 3,
        fields=(
            ("Alamat usaha", "Business address", LONG_ADDRESS),
            ("Kode referensi", "Reference", unbroken),
            ("Nama usaha", "Business name", LONG_ADDRESS),
        ),
    )
    data = renderer.render(facts)
    assert len(pikepdf.open(io.BytesIO(data)).pages) == 1
    if shutil.which("pdftotext"):
        _assert_words_inside_page(data)
        text = pdf_text(data)
        assert "Sumber Rejeki" in text and "dekat halte" in text


def _assert_words_inside_page(data: bytes) -> None:
    done = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=data, capture_output=True, check=True
    )
    # A4 is 595.3 pt wide and the right margin 18 mm (51 pt): words must end before it.
    boxes = [line for line in done.stdout.decode().splitlines() if "<word " in line]
    assert boxes
    for line in boxes:
        x_max = float(line.split('xMax="')[1].split('"')[0])
        assert x_max <= 595.3 - 51 + 1, line


@needs_poppler
def test_dates_are_jakarta_calendar_days_in_both_languages(
    renderer: CertificateRenderer,
) -> None:
    # 18:30 UTC on 16 August is already 17 August in Jakarta (UTC+7).
    facts = make_facts(issued_at=datetime(2026, 8, 16, 18, 30, tzinfo=UTC), valid_until=None)
    text = pdf_text(renderer.render(facts))
    assert "17 Agustus 2026" in text
    assert "17 August 2026" in text
    assert "Berlaku selama tidak dicabut" in text
    assert "No expiry" in text


def test_unknown_template_falls_back_to_default(
    renderer: CertificateRenderer, facts: CertificateFacts, pdf_bytes: bytes
) -> None:
    assert renderer.render(facts, template="no-such-template") == pdf_bytes
    assert renderer.render(facts, template="../../etc/passwd") == pdf_bytes


def test_naive_issue_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_facts(issued_at=datetime(2026, 11, 28, 10, 0))


def test_format_date_uses_month_names_of_the_language() -> None:
    assert format_date(date(2026, 2, 1), language="id") == "1 Februari 2026"
    assert format_date(date(2026, 2, 1), language="en") == "1 February 2026"
    assert format_date(date(2026, 12, 31), language="id") == "31 Desember 2026"


def test_verify_page_is_derived_from_the_qr_url() -> None:
    url = "https://perizinan.jakarta.go.id/verify/7K3MQ9XA0T1VZ4HR8NWC"
    assert verify_page_url(url) == "https://perizinan.jakarta.go.id/verify"
    old = "https://perizinan.jakarta.go.id/verify/abc?t=x.y.z"  # from before the short QR
    assert verify_page_url(old) == "https://perizinan.jakarta.go.id/verify"
