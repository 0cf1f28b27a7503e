"""The fast path (a cached static page, the text stamped while signing) against the full render.

The first block runs every check on both outputs: what test_render, test_qr, test_signing and
test_verify ask of a certificate must hold for a stamped one too. Then what only the fast path
has: caching, its pages looking like the full render's, and each reason to fall back.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageDraw
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from app.certificates.codes import display as display_code
from app.certificates.fastpath import Stamper
from app.certificates.issuer import CertificateIssuer
from app.certificates.keys import init_chain, load_material
from app.certificates.render import CertificateRenderer, canonical_json
from app.certificates.signing import SIGNATURE_FIELD, DocumentSigner, dev_timestamper
from app.certificates.slots import CannotStamp
from app.certificates.verify import check_pdf
from tests.certificates.pdfs import (
    append_content_edit,
    flip_byte,
    is_stamped,
    pdfa_identification,
    pdfsig_report,
    producers,
    stream_data_offset,
)
from tests.certificates.test_render import (
    LONG_ADDRESS,
    TEMPLATES,
    _assert_words_inside_page,
    decode_qr,
    make_facts,
    needs_poppler,
    pdf_text,
    realistic_verify_url,
)

REASON, LOCATION = "Sertifikat DPMPTSP/SKDU/2026/000123", "Jakarta"


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    chain = init_chain(tmp_path_factory.mktemp("chain") / "certificates", authority_name="Uji")
    return load_material(directory=chain), chain


@pytest.fixture(scope="module")
def signer(material) -> DocumentSigner:
    keys, chain = material
    return DocumentSigner(keys, timestamper=dev_timestamper(directory=chain))


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer(templates_dir=TEMPLATES)


@pytest.fixture(scope="module")
def stamper(renderer) -> Stamper:
    return Stamper(renderer)


def stamped(stamper: Stamper, signer: DocumentSigner, facts, template: str = "default") -> bytes:
    pdf, edit = stamper.prepare(facts, template=template)
    return signer.sign(pdf, reason=REASON, location=LOCATION, edit=edit)


@pytest.fixture(scope="module", params=["stamped", "full"])
def produced(request, renderer, stamper, signer):
    """(facts, signed PDF) from the fast path and from the full render, both PAdES B-T."""
    facts = make_facts()
    if request.param == "stamped":
        pdf = stamped(stamper, signer, facts)
        assert is_stamped(pdf)
    else:
        pdf = signer.sign(renderer.render(facts), reason=REASON, location=LOCATION)
        assert not is_stamped(pdf)
    return facts, pdf


# -- what every certificate must be, stamped or rendered in full ------------------------------


def test_pdf_a3b_with_consistent_metadata(produced):
    facts, pdf = produced
    assert pdfa_identification(pdf) == ("3", "B", True)
    info, xmp = producers(pdf)
    assert info == xmp and xmp.startswith("pyHanko")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert str(doc.docinfo.Title) == f"Surat Izin {facts.number}"
        assert str(doc.docinfo.CreationDate) == "D:20261128031542Z"
        meta = doc.open_metadata(set_pikepdf_as_editor=False)
        assert meta.get("dc:title") == f"Surat Izin {facts.number}"
        created = datetime.fromisoformat(meta.get("xmp:CreateDate").replace("Z", "+00:00"))
        assert created == facts.issued_at_utc


def test_facts_are_the_associated_file(produced):
    facts, pdf = produced
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        attachment = doc.attachments["certificate.json"]
        assert attachment.get_file().read_bytes() == canonical_json(facts.as_json())
        assert attachment.obj.AFRelationship == "/Data"
        assert attachment.get_file().obj.Subtype == "/application/json"
        assert [spec.objgen for spec in doc.Root.AF] == [attachment.obj.objgen]
        assert list(doc.attachments) == ["certificate.json"]


def test_every_font_is_embedded_dejavu(produced):
    _, pdf = produced
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        fonts = doc.pages[0].Resources.Font
        assert len(fonts) >= 2
        for font in fonts.values():
            descriptor = font.DescendantFonts[0].FontDescriptor
            assert "/FontFile2" in descriptor, font.BaseFont
            assert str(font.BaseFont).split("+", 1)[-1].startswith("DejaVu"), font.BaseFont


@needs_poppler
def test_text_is_extractable(produced):
    facts, pdf = produced
    text = pdf_text(pdf)
    for expected in (
        "SURAT IZIN",
        "PEMERINTAH PROVINSI DKI JAKARTA",
        facts.number,
        facts.holder_name,
        facts.service_name_id,
        facts.service_name_en,
        facts.approved_by,
        display_code(facts.verification_code),
        "Warung Makan Sederhana Bu Siti",
        "Kelurahan Senayan",
        "28 November 2026",
        "28 Agustus 2027",
        "28 August 2027",
        "https://perizinan.jakarta.go.id/verify untuk",
        "Scan the QR code or upload this file at https://perizinan.jakarta.go.id/verify",
    ):
        assert expected in text


@needs_poppler
@pytest.mark.parametrize("dpi", [150, 100, 72])
def test_qr_decodes_to_the_verify_url(produced, dpi, tmp_path):
    facts, pdf = produced
    assert decode_qr(pdf, dpi=dpi, tmp_path=tmp_path) == [facts.verify_url]


def test_signature_is_trusted_intact_and_timestamped(produced, material):
    facts, pdf = produced
    keys, _ = material
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    context = ValidationContext(trust_roots=list(keys.roots), allow_fetching=False)
    status = validate_pdf_signature(embedded, signer_validation_context=context)
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert embedded.field_name == SIGNATURE_FIELD
    assert embedded.docmdp_level == MDPPerm.NO_CHANGES
    check = check_pdf(pdf, material=keys)
    assert (check.authentic, check.reason) == (True, "ok")
    assert check.attachment == facts.as_json()


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler's pdfsig is not installed")
def test_pdfsig_finds_it_valid_and_catches_a_flipped_byte(produced, tmp_path):
    _, pdf = produced
    report = pdfsig_report(pdf, tmp_path)
    assert report["valid"] and report["total_document_signed"], report["output"]
    tampered = pdfsig_report(flip_byte(pdf, stream_data_offset(pdf)), tmp_path)
    assert tampered["digest_mismatch"] and not tampered["valid"], tampered["output"]


def test_tampering_is_detected(produced, material):
    _, pdf = produced
    keys, _ = material
    for occurrence in (1, 3):
        flipped = flip_byte(pdf, stream_data_offset(pdf, occurrence=occurrence))
        assert check_pdf(flipped, material=keys).reason == "digest_mismatch"
    assert check_pdf(append_content_edit(pdf), material=keys).reason == "modified_after_signing"


# -- what only the fast path has ----------------------------------------------------------------


def _raster(pdf: bytes, tmp_path: Path, name: str, dpi: int = 100) -> Image.Image:
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", str(source), str(source)],
        check=True,
    )
    return Image.open(f"{source}.png").convert("L")


def _without_qr(image: Image.Image) -> Image.Image:
    """The page with the QR code painted white (both paths draw it differently: image vs
    rectangles, which rasterise to different grey edges)."""
    (found,) = zxingcpp.read_barcodes(image)
    corners = [(p.x, p.y) for p in (found.position.top_left, found.position.bottom_right)]
    (x0, y0), (x1, y1) = corners
    cleaned = image.copy()
    ImageDraw.Draw(cleaned).rectangle((x0 - 4, y0 - 4, x1 + 4, y1 + 4), fill=255)
    return cleaned


def assert_looks_like_full_render(stamped_pdf: bytes, full_pdf: bytes, tmp_path: Path) -> None:
    ours, theirs = _raster(stamped_pdf, tmp_path, "a"), _raster(full_pdf, tmp_path, "b")
    difference = ImageChops.difference(_without_qr(ours), _without_qr(theirs))
    differing = sum(difference.point(lambda v: 255 if v > 64 else 0).histogram()[255:])
    # Same line breaks, positions and glyphs give identical pixels at 100 dpi (0 measured);
    # allow a few anti-aliased edges.
    assert differing < 50, differing


@needs_poppler
@pytest.mark.parametrize(
    "change",
    [
        {},
        {"holder_name": "PT " + "Sumber Rejeki Abadi Sentosa Makmur Jaya " * 2},
        {"valid_until": None, "issued_at": datetime(2026, 8, 16, 18, 30, tzinfo=UTC)},
        {"fields": (("Kode referensi", "Reference", "X" * 300),)},
    ],
    ids=["as-is", "two-line-holder", "no-expiry", "unbroken-word"],
)
def test_a_stamped_page_looks_like_the_full_render(renderer, stamper, signer, change, tmp_path):
    facts = make_facts(**change)
    ours = stamped(stamper, signer, facts)
    full = signer.sign(renderer.render(facts), reason=REASON, location=LOCATION)
    assert_looks_like_full_render(ours, full, tmp_path)


def test_a_second_certificate_of_the_same_shape_needs_no_layout(stamper, signer, material):
    stamped(stamper, signer, make_facts())
    before = stamper.layouts
    other = make_facts(
        number="DPMPTSP/SKDU/2026/000124",
        holder_name="Budi Santoso",
        verify_url=(url := realistic_verify_url(seed=7)),
        verification_code=url.rsplit("/", 1)[1],
    )
    pdf = stamped(stamper, signer, other)
    assert stamper.layouts == before
    assert check_pdf(pdf, material=material[0]).attachment["holder_name"] == "Budi Santoso"


def test_a_new_shape_is_laid_out_once(renderer, signer):
    stamper = Stamper(renderer)
    long_name = "Raden Ajeng Siti Nurhaliza Kusumawardhani Rahmawati Putri Sejahtera"
    stamped(stamper, signer, make_facts())
    assert stamper.layouts == 2  # the template's structure once, its first static page once
    stamped(stamper, signer, make_facts(holder_name=long_name))
    assert stamper.layouts == 3
    stamped(stamper, signer, make_facts(holder_name=long_name[::-1].title()))
    assert stamper.layouts == 3


@needs_poppler
def test_long_values_stay_on_the_page(stamper, signer):
    facts = make_facts(
        holder_name="PT " + "Sumber Rejeki Abadi Sentosa Makmur Jaya " * 3,
        fields=(
            ("Alamat usaha", "Business address", LONG_ADDRESS),
            ("Kode referensi", "Reference", "X" * 300),
            ("Nama usaha", "Business name", LONG_ADDRESS),
        ),
    )
    pdf = stamped(stamper, signer, facts)
    assert len(pikepdf.open(io.BytesIO(pdf)).pages) == 1
    _assert_words_inside_page(pdf)
    text = pdf_text(pdf)
    assert "Sumber Rejeki" in text and "dekat halte" in text and "XXXXXXXXXX" in text


@needs_poppler
def test_markup_in_facts_is_text(stamper, signer):
    name = "<script>alert(1)</script> & <b>Budi</b>"
    assert name in pdf_text(stamped(stamper, signer, make_facts(holder_name=name)))


def test_each_certificate_has_its_own_file_identifier(stamper, signer):
    ids = {
        pikepdf.open(io.BytesIO(stamped(stamper, signer, make_facts(number=n)))).trailer.ID[0]
        for n in ("A/B/2026/000001", "A/B/2026/000002")
    }
    assert len(ids) == 2


def test_threads_share_one_stamper(renderer, signer, material):
    stamper = Stamper(renderer)
    numbers = [f"DPMPTSP/SKDU/2026/{n:06d}" for n in range(8)]
    names = ["Siti", "Budi Santoso", "Ayu " + "Lestari " * 12, "Agus"] * 2

    def produce(index: int) -> bytes:
        facts = make_facts(number=numbers[index], holder_name=names[index])
        return stamped(stamper, signer, facts)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(produce, range(8)))
    for index, pdf in enumerate(results):
        check = check_pdf(pdf, material=material[0])
        assert check.authentic and check.attachment["number"] == numbers[index]


# -- falling back to the full render ------------------------------------------------------------


def _template_dir(tmp_path: Path, html_edit=lambda s: s, css_edit=lambda s: s) -> Path:
    target = tmp_path / "templates" / "certificates"
    target.mkdir(parents=True)
    source = TEMPLATES / "certificates"
    (target / "default.html").write_text(html_edit((source / "default.html").read_text()))
    (target / "default.css").write_text(css_edit((source / "default.css").read_text()))
    return tmp_path / "templates"


def _issuer(renderer: CertificateRenderer, signer: DocumentSigner) -> CertificateIssuer:
    return CertificateIssuer(
        settings=None,  # type: ignore[arg-type]
        material=signer.material,
        renderer=renderer,
        signer=signer,
        files=None,  # type: ignore[arg-type]
        tokens=None,  # type: ignore[arg-type]
        stamper=Stamper(renderer),
    )


def _produce(issuer: CertificateIssuer, facts) -> bytes:
    return issuer.produce(facts, template="default", reason=REASON, location=LOCATION)


def test_produce_stamps_what_it_can(renderer, signer, material):
    pdf = _produce(_issuer(renderer, signer), make_facts())
    assert is_stamped(pdf) and check_pdf(pdf, material=material[0]).authentic


@needs_poppler
def test_a_glyph_outside_the_subset_takes_the_full_render(renderer, signer, material, caplog):
    facts = make_facts(holder_name="Ωmega Rahmawati")
    with pytest.raises(CannotStamp, match="no glyph"):
        Stamper(renderer).prepare(facts, template="default")
    with caplog.at_level(logging.INFO, logger="app.certificates.issuer"):
        pdf = _produce(_issuer(renderer, signer), facts)
    assert not is_stamped(pdf) and "rendered in full" in caplog.text
    assert "Ωmega Rahmawati" in pdf_text(pdf)
    assert check_pdf(pdf, material=material[0]).authentic


def test_a_word_overflowing_its_slot_takes_the_full_render(signer, tmp_path):
    templates = _template_dir(
        tmp_path,
        css_edit=lambda css: css.replace("overflow-wrap: anywhere", "overflow-wrap: normal"),
    )
    renderer = CertificateRenderer(templates_dir=templates)
    facts = make_facts(fields=(("Kode referensi", "Reference", "X" * 300),))
    with pytest.raises(CannotStamp, match="wider than its slot"):
        Stamper(renderer).prepare(facts, template="default")
    assert not is_stamped(_produce(_issuer(renderer, signer), facts))
    assert is_stamped(_produce(_issuer(renderer, signer), make_facts()))


def test_a_template_without_slots_takes_the_full_render(signer, tmp_path):
    templates = _template_dir(
        tmp_path,
        html_edit=lambda h: h.replace(' data-slot="qr"', "").replace(" data-slot", ""),
    )
    renderer = CertificateRenderer(templates_dir=templates)
    with pytest.raises(CannotStamp, match="no slots"):
        Stamper(renderer).prepare(make_facts(), template="default")
    pdf = _produce(_issuer(renderer, signer), make_facts())
    assert not is_stamped(pdf) and check_pdf(pdf, material=signer.material).authentic


def test_a_template_the_stamper_cannot_model_takes_the_full_render(signer, tmp_path):
    templates = _template_dir(
        tmp_path, css_edit=lambda css: css + "\n.holder-name { text-align: justify; }\n"
    )
    renderer = CertificateRenderer(templates_dir=templates)
    stamper = Stamper(renderer)
    for _ in range(2):  # learnt once, then refused without laying the page out again
        with pytest.raises(CannotStamp, match="text-align"):
            stamper.prepare(make_facts(), template="default")
    assert stamper.layouts == 1


@needs_poppler
def test_facts_outside_slots_get_a_static_page_of_their_own(signer, tmp_path):
    templates = _template_dir(
        tmp_path,
        html_edit=lambda h: h.replace(
            '<p class="holder-name" data-slot>', '<p class="holder-name">'
        ),
    )
    issuer = _issuer(CertificateRenderer(templates_dir=templates), signer)
    first = _produce(issuer, make_facts(holder_name="Siti Rahmawati"))
    second = _produce(issuer, make_facts(holder_name="Budi Santoso"))
    assert is_stamped(first) and is_stamped(second)
    assert "Budi Santoso" in pdf_text(second) and "Siti Rahmawati" not in pdf_text(second)


def test_a_fault_in_the_fast_path_takes_the_full_render(renderer, signer, monkeypatch, caplog):
    issuer = _issuer(renderer, signer)

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(issuer.stamper, "prepare", broken)
    with caplog.at_level(logging.ERROR, logger="app.certificates.issuer"):
        pdf = _produce(issuer, replace(make_facts(), number="X/Y/2026/000009"))
    assert not is_stamped(pdf) and "fast path failed" in caplog.text
