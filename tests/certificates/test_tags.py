"""Tagged certificate PDFs (LOKET_CERTIFICATE_PDF_TAGS): a structure tree a screen reader can
follow, still PDF/A-3b, and still signed and verified like any certificate."""

from __future__ import annotations

import io

import pikepdf
import pytest

from app.certificates.issuer import build_issuer
from app.certificates.render import CertificateRenderer
from app.certificates.verify import check_pdf
from app.config import Settings
from tests.certificates.pdfs import pdfa_identification
from tests.certificates.test_fastpath import LOCATION, REASON, material, signer  # noqa: F401
from tests.certificates.test_render import TEMPLATES, make_facts, needs_poppler, pdf_text


@pytest.fixture(scope="module")
def tagged(signer) -> bytes:  # noqa: F811
    renderer = CertificateRenderer(templates_dir=TEMPLATES, tags=True)
    return signer.sign(renderer.render(make_facts()), reason=REASON, location=LOCATION)


def _structure_types(element: pikepdf.Object, found: set[str]) -> set[str]:
    """Every structure type in the tree, with the alternative text of figures."""
    if isinstance(element, pikepdf.Dictionary) and "/S" in element:
        found.add(str(element.S))
        if "/Alt" in element:
            found.add(f"{element.S}: {element.Alt}")
    kids = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
        if isinstance(kid, pikepdf.Dictionary):
            _structure_types(kid, found)
    return found


def test_a_tagged_certificate_has_a_structure_tree(tagged: bytes) -> None:
    with pikepdf.open(io.BytesIO(tagged)) as pdf:
        assert bool(pdf.Root.MarkInfo.Marked) is True
        root = pdf.Root.StructTreeRoot
        assert "/ParentTree" in root
        types = _structure_types(root, set())
        assert {"/Document", "/H1", "/P", "/Table"} <= types
        assert "/Figure: Kode QR verifikasi / Verification QR code" in types  # the QR code
        assert str(pdf.Root.Lang) == "id"
        assert "/StructParents" in pdf.pages[0]


def test_a_tagged_certificate_is_still_pdf_a3b_and_verifies(tagged: bytes, material) -> None:  # noqa: F811
    assert pdfa_identification(tagged) == ("3", "B", True)
    check = check_pdf(tagged, material=material[0])
    assert check.authentic, check.reason
    assert check.attachment["number"] == make_facts().number


@needs_poppler
def test_a_tagged_certificate_reads_the_same(tagged: bytes) -> None:
    text = pdf_text(tagged)
    assert "SURAT IZIN" in text and make_facts().holder_name in text


def test_untagged_by_default(signer) -> None:  # noqa: F811
    plain = CertificateRenderer(templates_dir=TEMPLATES).render(make_facts())
    with pikepdf.open(io.BytesIO(plain)) as pdf:
        assert "/StructTreeRoot" not in pdf.Root


def test_the_setting_takes_the_full_render_for_tags(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, certificate_pdf_tags=True)
    issuer = build_issuer(settings, files=None, tokens=None)  # type: ignore[arg-type]
    assert issuer.renderer.tags and issuer.stamper is None
    pdf = issuer.produce(make_facts(), template="default", reason=REASON, location=LOCATION)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        assert bool(opened.Root.MarkInfo.Marked) and "/StructTreeRoot" in opened.Root
    default = build_issuer(Settings(data_dir=tmp_path), files=None, tokens=None)  # type: ignore[arg-type]
    assert not default.renderer.tags and default.stamper is not None
