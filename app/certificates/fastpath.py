"""The fast path: a cached static page, and the certificate's text stamped into the signing
revision (design and figures: bench/README.md, section bench/certificates.py).

Per certificate the template is rendered by Jinja as for the full render, and ``slots.parse``
splits the HTML into the skeleton and the slots' texts. Two caches, per process:

* a ``Profile`` per template structure (skeleton + the elements inside the slots, not their
  texts): learnt once from a WeasyPrint layout of the page with placeholder texts;
* a static page per shape (which text lands on which line of which paragraph): WeasyPrint lays
  out the page with hidden placeholders broken exactly where the stamper breaks the real text,
  and writes it as PDF/A-3b; the stamper's fonts are added to it once.

A certificate whose shape was seen before costs no WeasyPrint work at all: line breaking, one
content stream and the signature. Anything the stamper cannot lay out raises ``CannotStamp``,
and ``CertificateIssuer.produce`` renders that certificate in full instead.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TypeVar

import pikepdf

from app.certificates.facts import CertificateFacts
from app.certificates.fonts import Face
from app.certificates.pagelayout import Geometry, Profile, font_files, learn, measure, offset
from app.certificates.render import (
    ATTACHMENT_DESCRIPTION,
    ATTACHMENT_NAME,
    CertificateRenderer,
    canonical_json,
)
from app.certificates.signing import Edit
from app.certificates.slots import (
    QR,
    SLOT,
    TEXT_TAG,
    CannotStamp,
    Node,
    Page,
    parse,
    placeholder,
    render_tokens,
    tokens,
)
from app.certificates.stamp import PlacedLine, content_stream, revision
from app.certificates.textlayout import Line, break_lines

HIDE_CSS = f'{TEXT_TAG}, img[{SLOT}="{QR}"] {{ visibility: hidden !important }}'
# On a static page each line ends where the stamper broke it (a <br>), never earlier.
STATIC_CSS = HIDE_CSS + f"\n[{SLOT}], [{SLOT}] * {{ white-space: nowrap !important }}"
# A sample that tells the template's faces apart (widths), with a ligature and kerning pairs.
LEARNING_TEXT = "Hamburgefionsv"
STATIC_TEXT = "x"
T = TypeVar("T")


@dataclass(frozen=True)
class StaticPage:
    pdf: bytes
    geometry: Geometry
    font_names: dict[Face, str]
    page_height: float  # PDF points


class Stamper:
    """Static pages and stamping for one renderer's templates; shared by request threads."""

    def __init__(self, renderer: CertificateRenderer, *, cache_size: int = 64) -> None:
        self.renderer = renderer
        self.cache_size = cache_size
        self._profiles: OrderedDict[bytes, Profile | str] = OrderedDict()
        self._statics: OrderedDict[bytes, StaticPage | str] = OrderedDict()
        self._fonts: dict[str, dict[tuple[str, int, str], Path]] = {}
        self._lock = threading.Lock()
        self.layouts = 0  # WeasyPrint layouts made, for tests and the benchmark

    def prepare(self, facts: CertificateFacts, *, template: str) -> tuple[bytes, Edit]:
        """(static page, the edit that stamps ``facts`` on it while signing)."""
        name, html = self.renderer.page_html(facts, template=template, qr=False)
        page = parse(html)
        profile_key = _key(name, page.skeleton(), page.structure())
        profile = self._profile(profile_key, name, page)
        lines = [
            break_lines([(i, page.texts[i].text) for i in members], profile.styles, block.width)
            for members, block in zip(profile.members, profile.blocks, strict=True)
        ]
        static = self._static(_key(profile_key, _shape(lines)), name, page, profile, lines)
        boxes = list(static.geometry.qr_boxes)
        content = content_stream(
            _placed(lines, profile, static.geometry),
            styles=profile.styles,
            font_names=static.font_names,
            page_height=static.page_height,
            qr=(facts.verify_url, boxes) if boxes else None,
        )
        edit = revision(
            content=content,
            attachment=canonical_json(facts.as_json()),
            description=ATTACHMENT_DESCRIPTION,
            attachment_name=ATTACHMENT_NAME,
            title=page.title,
            issued_at=facts.issued_at_utc,
        )
        return static.pdf, edit

    def _profile(self, key: bytes, name: str, page: Page) -> Profile:
        found = self._cached(self._profiles, key)
        if found is None:
            try:
                found = self._learn(name, page)
            except CannotStamp as why:
                found = str(why)  # remembered: this structure is not tried again
            self._remember(self._profiles, key, found)
        if isinstance(found, str):
            raise CannotStamp(found)
        return found

    def _learn(self, name: str, page: Page) -> Profile:
        texts = {}
        for text in page.texts:
            token = text.token
            texts[text.index] = token.replace("x", LEARNING_TEXT) if "x" in token else token

        def slot_html(_number: int, nodes: list[Node]) -> str:
            return render_tokens(
                tokens(nodes),
                lambda t: placeholder(t.index, texts[t.index]) if texts[t.index] else "",
            )

        fonts = self._font_files(name)
        self.layouts += 1
        profile, _ = self.renderer.lay_out(
            page.html(slot_html),
            template=name,
            extra_css=HIDE_CSS,
            inspect=lambda document: learn(
                document, slots=len(page.slots), placeholders=texts, fonts=fonts
            ),
            write=False,
        )
        return profile

    def _static(
        self, key: bytes, name: str, page: Page, profile: Profile, lines: list[list[Line]]
    ) -> StaticPage:
        found = self._cached(self._statics, key)
        if found is None:
            try:
                found = self._build_static(name, page, profile, lines)
            except CannotStamp as why:
                found = str(why)
            self._remember(self._statics, key, found)
        if isinstance(found, str):
            raise CannotStamp(found)
        return found

    def _cached(self, cache: OrderedDict[bytes, T], key: bytes) -> T | None:
        with self._lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
            return found

    def _remember(self, cache: OrderedDict[bytes, T], key: bytes, value: T) -> None:
        # Bounded: a template that prints facts outside its slots makes a new entry per
        # certificate (each costs a layout: correct, but no faster than the full render).
        with self._lock:
            cache[key] = value
            while len(cache) > self.cache_size:
                cache.popitem(last=False)

    def _build_static(
        self, name: str, page: Page, profile: Profile, lines: list[list[Line]]
    ) -> StaticPage:
        pieces: dict[int, list[tuple[int, bool]]] = {}
        for paragraph in lines:
            for number, line in enumerate(paragraph):
                for piece in line.pieces:
                    pieces.setdefault(piece.index, []).append((number, bool(piece.text.strip())))
        self.layouts += 1
        geometry, pdf = self.renderer.lay_out(
            page.html(lambda _n, nodes: _static_slot(nodes, pieces, profile.paragraph_of)),
            template=name,
            extra_css=STATIC_CSS,
            inspect=lambda document: measure(
                document, profile=profile, slots=len(page.slots), qr_slots=page.qr_slots
            ),
            write=True,
        )
        assert pdf is not None
        if [len(b) for b in geometry.baselines] != [len(paragraph) for paragraph in lines]:
            raise CannotStamp("the static page breaks lines elsewhere than the stamper")
        base, names, height = _with_fonts(pdf, profile.faces())
        return StaticPage(base, geometry, names, height)

    def _font_files(self, name: str) -> dict[tuple[str, int, str], Path]:
        with self._lock:
            if name not in self._fonts:
                self._fonts[name] = font_files(self.renderer.stylesheet_path(name))
            return self._fonts[name]


def _shape(lines: list[list[Line]]) -> str:
    """Which text has a piece on which line: all a static page depends on, besides the
    template's structure."""
    return repr(
        [
            [[(piece.index, bool(piece.text.strip())) for piece in line.pieces] for line in lines_]
            for lines_ in lines
        ]
    )


def _placed(lines: list[list[Line]], profile: Profile, geometry: Geometry) -> list[PlacedLine]:
    return [
        PlacedLine(line, block.x + offset(block, line.width), baseline)
        for paragraph, block, baselines in zip(
            lines, profile.blocks, geometry.baselines, strict=True
        )
        for line, baseline in zip(paragraph, baselines, strict=True)
    ]


def _key(*parts: str | bytes) -> bytes:
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.digest()


def _tag(kind: str, node: Node) -> str:
    if kind == "open":
        return f"<{node.tag}{node.attrs}>"  # type: ignore[union-attr]
    return f"</{node.tag}>"  # type: ignore[union-attr]


def _static_slot(
    nodes: list[Node], pieces: dict[int, list[tuple[int, bool]]], paragraph_of: dict[int, int]
) -> str:
    """A slot's content for its static page: a hidden placeholder per piece of text, and a
    ``<br>`` where each line ends, put between elements so that no element's box reaches into
    a line where it has no text."""
    out: list[str] = []
    anchor: dict[int, int] = {}  # paragraph -> where its next <br> goes
    line_of: dict[int, int] = {}
    for kind, node in tokens(nodes):
        if kind != "text":
            closing = [p for p, at in anchor.items() if at == len(out)] if kind == "close" else []
            out.append(_tag(kind, node))
            for paragraph in closing:
                anchor[paragraph] = len(out)
            continue
        index = node.index  # type: ignore[union-attr]
        paragraph = paragraph_of[index]
        for number, content in pieces.get(index, ()):
            breaks = number - line_of.get(paragraph, 0)
            if breaks > 0:
                at = anchor[paragraph]
                out.insert(at, "<br>" * breaks)
                for other, position in anchor.items():
                    if position >= at:
                        anchor[other] = position + 1
                line_of[paragraph] = number
            out.append(placeholder(index, STATIC_TEXT if content else " "))
            anchor[paragraph] = len(out)
    return "".join(out)


def _with_fonts(pdf_bytes: bytes, faces: list[Face]) -> tuple[bytes, dict[Face, str], float]:
    """The static page with the stamper's fonts in its resources and WeasyPrint's content
    wrapped in q/Q (it leaves its flipped coordinate system behind)."""
    with pikepdf.open(BytesIO(pdf_bytes)) as pdf:
        page = pdf.pages[0].obj
        resources = page.Resources
        if "/Font" not in resources:
            resources.Font = pikepdf.Dictionary()
        names = {}
        for number, face_ in enumerate(faces):
            names[face_] = f"LoketF{number}"
            resources.Font[f"/LoketF{number}"] = face_.embed(pdf)
        contents = page.Contents
        existing = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        page.Contents = pikepdf.Array(
            [pdf.make_stream(b"q\n"), *existing, pdf.make_stream(b"\nQ\n")]
        )
        height = float(page.MediaBox[3])
        out = BytesIO()
        pdf.save(out)
    return out.getvalue(), names, height
