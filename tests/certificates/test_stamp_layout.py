"""The fast path's pieces: shaping against WeasyPrint's, line breaking, the slot parser."""

from __future__ import annotations

import html
import io
import random

import pytest
import weasyprint
from fontTools.ttLib import TTFont
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration

from app.certificates.fonts import REPERTOIRE, MissingGlyph, face
from app.certificates.render import CertificateRenderer
from app.certificates.slots import PLACEHOLDER_DATE, PLACEHOLDER_TITLE, CannotStamp, parse
from app.certificates.textlayout import Style, break_lines, collapse
from tests.certificates.test_render import TEMPLATES, make_facts

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
FACES = {
    "sans": ("DejaVuSans.ttf", "font-family: 'DejaVu Sans'"),
    "bold": ("DejaVuSans-Bold.ttf", "font-family: 'DejaVu Sans'; font-weight: bold"),
    "serif": ("DejaVuSerif-Bold.ttf", "font-family: 'DejaVu Serif'; font-weight: bold"),
    "mono": ("DejaVuSansMono.ttf", "font-family: 'DejaVu Sans Mono'"),
}
WORDS = [
    "Jl.",
    "Jenderal",
    "Sudirman",
    "Kav.",
    "52-53,",
    "office",
    "fluffy",
    "AVATAR",
    "Tower",
    "Wave",
    "Yogyakarta",
    "Rp",
    "25.000.000",
    '"kutipan"',
    "(KBLI",
    "56101)",
    "Œuvre",
    "café",
    "naïve",
    "Ærø",
    "Łódź",
    "Ünal",
    "Şahin",
    "—",
    "…",
]


def _style(name: str, size: float = 12.0, **changes) -> Style:
    values = dict(
        face=face(DEJAVU + FACES[name][0]),
        size=size,
        color=(0, 0, 0),
        letter_spacing=0.0,
        transform="none",
        anywhere=False,
    )
    values.update(changes)
    return Style(**values)


def test_shaping_measures_text_as_weasyprint_lays_it_out():
    rng = random.Random(3)
    printable = sorted(REPERTOIRE - {" ", "\xa0"})
    samples = []
    for number in range(160):
        if number % 2:
            samples.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6))))
        else:
            samples.append("".join(rng.choice(printable) for _ in range(rng.randint(3, 30))))
    names, sizes = list(FACES), (12.6666667, 14, 18.6666667, 11.3333333)
    fonts = "".join(
        f"@font-face {{ {css}; src: url(file://{DEJAVU}{file}) }}" for file, css in FACES.values()
    )
    body = "".join(
        f'<div class="{names[i % 4]}" style="{FACES[names[i % 4]][1]}; font-size: '
        f'{sizes[i % 4]}px; white-space: pre">{html.escape(text)}</div>'
        for i, text in enumerate(samples)
    )
    config = FontConfiguration()
    document = weasyprint.HTML(string=f'<html lang="id"><body>{body}</body></html>').render(
        stylesheets=[
            weasyprint.CSS(string=fonts + "@page { size: 3000px 40000px }", font_config=config)
        ],
        font_config=config,
    )
    checked = 0
    stack = [document.pages[0]._page_box]
    while stack:
        box = stack.pop()
        stack.extend(getattr(box, "children", ()))
        if isinstance(box, boxes.TextBox):
            style = _style(box.element.get("class"), box.style["font_size"])
            line = break_lines([(0, box.text)], {0: style}, float("inf"))[0]
            assert line.width == pytest.approx(box.width, abs=0.03), box.text
            checked += 1
    assert checked == len(samples)


def test_a_character_outside_the_repertoire_is_refused():
    with pytest.raises(MissingGlyph):
        face(DEJAVU + "DejaVuSans.ttf").shape("Ωmega")
    with pytest.raises(CannotStamp, match="no glyph"):
        break_lines([(0, "漢字")], {0: _style("sans")}, 500)


def test_the_embedded_subset_carries_the_whole_repertoire():
    sans = face(DEJAVU + "DejaVuSans.ttf")
    program = TTFont(io.BytesIO(sans.subset()))
    cmap = program.getBestCmap()
    assert {chr(code) for code in cmap} >= REPERTOIRE - {"\u2122"} - {"\xad"}
    glyphs = sans.subset_glyphs()
    assert glyphs[sans.shape("fi").glyphs[0]] == "fi"  # the ligature maps back to its letters


def test_spaces_collapse_across_texts_and_at_the_paragraph_edges():
    styles = {0: _style("sans"), 1: _style("bold"), 2: _style("sans", transform="uppercase")}
    collapsed = collapse([(0, "\n  Nomor /  "), (1, " Number"), (2, ":\n  x  ")], styles)
    assert collapsed == [(0, "Nomor / "), (1, "Number"), (2, ": X")]


def test_lines_break_after_spaces_and_a_space_at_the_end_hangs():
    style = _style("sans")
    text = "Kelurahan Senayan Kecamatan Kebayoran Baru Kota Administrasi Jakarta Selatan"
    width = break_lines([(0, "Kelurahan Senayan Kecamatan")], {0: style}, 1e6)[0].width
    lines = break_lines([(0, text)], {0: style}, width + 1)
    assert [p.text for line in lines for p in line.pieces][0] == "Kelurahan Senayan Kecamatan"
    assert all(line.width <= width + 1 for line in lines)
    assert " ".join(p.text for line in lines for p in line.pieces) == text


def test_a_word_wider_than_its_line_breaks_only_where_overflow_wrap_allows():
    text = "X" * 200
    with pytest.raises(CannotStamp, match="wider than its slot"):
        break_lines([(0, text)], {0: _style("sans")}, 300)
    lines = break_lines([(0, text)], {0: _style("sans", anywhere=True)}, 300)
    assert len(lines) > 1 and "".join(line.pieces[0].text for line in lines) == text
    assert all(line.width <= 300.02 for line in lines)


def test_each_element_is_shaped_on_its_own():
    styles = {0: _style("sans"), 1: _style("sans")}
    (line,) = break_lines([(0, "AV"), (1, "AV")], styles, 1e6)
    whole = break_lines([(0, "AVAV")], {0: styles[0]}, 1e6)[0]
    assert [p.text for p in line.pieces] == ["AV", "AV"]
    assert line.width > whole.width  # no kerning pair across the element boundary ("VA")


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer(templates_dir=TEMPLATES)


def test_the_skeleton_and_structure_do_not_depend_on_the_facts(renderer):
    _, first = renderer.page_html(make_facts(), qr=False)
    _, second = renderer.page_html(
        make_facts(number="X/Y/2026/000999", holder_name="Budi", approved_by="Dr. A"), qr=False
    )
    one, two = parse(first), parse(second)
    assert one.skeleton() == two.skeleton() and one.structure() == two.structure()
    assert one.title == "Surat Izin DPMPTSP/SKDU/2026/000123"
    assert one.created == "2026-11-28T03:15:42Z"
    assert f"<title>{PLACEHOLDER_TITLE}</title>" in one.skeleton()
    assert PLACEHOLDER_DATE in one.skeleton() and "DPMPTSP/SKDU" not in one.skeleton()
    texts = [t.text.strip() for t in one.texts]
    assert "Siti Nurhaliza Rahmawati" in texts and "DPMPTSP/SKDU/2026/000123" in texts


def test_text_in_slots_is_decoded_and_rendered_back_as_placeholders_only(renderer):
    _, page_html = renderer.page_html(make_facts(holder_name="<b>A</b> & B"), qr=False)
    page = parse(page_html)
    assert "<b>A</b> & B" in [t.text for t in page.texts]
    assert "&lt;b&gt;" not in page.skeleton()


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ("<p>no slots</p>", "no slots"),
        ("<p data-slot>a <span data-slot>b</span></p>", "inside a slot"),
        ("<p data-slot>a<br>b</p>", "inside a slot"),
        ('<p data-slot>a <img src="x.png"></p>', "inside a slot"),
        ('<span data-slot="qr">x</span>', "must be an <img>"),
        ("<p data-slot>open", "does not close"),
    ],
)
def test_what_a_slot_may_not_hold(markup, reason):
    with pytest.raises(CannotStamp, match=reason):
        parse(f"<html><head><title>t</title></head><body>{markup}</body></html>")
