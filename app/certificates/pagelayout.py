"""What WeasyPrint's layout of a page with hidden slot texts says about the slots (``stamp``).

Two readings, both of a page whose slot texts are placeholders wrapped in ``TEXT_TAG``:

* ``learn``: each text's computed style and paragraph (the block box it flows in), each
  paragraph's box and alignment, checked by laying the placeholders out again with
  ``textlayout`` and comparing every text box's position and width with WeasyPrint's. Anything
  the stamper does not model (a font the template does not pin with ``@font-face``, justified
  or indented text, a raised baseline, inline borders or backgrounds, generated content) fails
  here with ``CannotStamp``, once per template structure.
* ``measure``: the baseline of every line of a static page laid out with the stamper's own line
  breaks, and the QR code's box.

It reads WeasyPrint's box tree (``Page._page_box``), which is not public API: pinned with the
WeasyPrint version in the tests that compare stamped and fully rendered pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import tinycss2  # type: ignore[import-untyped]
from weasyprint.formatting_structure import boxes  # type: ignore[import-untyped]

from app.certificates.fonts import Face, face
from app.certificates.slots import QR, SLOT, TEXT_TAG, CannotStamp
from app.certificates.textlayout import Style, break_lines

_TOLERANCE = 0.1  # px: Pango rounds advances to 1/1024 px; letter-spacing adds up over a line
_WEIGHTS = {"normal": 400, "bold": 700}
_NEUTRAL = {
    "direction": "ltr",
    "font_stretch": "normal",
    "font_variant_caps": "normal",
    "font_variant_ligatures": "normal",
    "font_feature_settings": "normal",
    "hyphens": ("manual", "none"),
    "word_break": "normal",
    "word_spacing": 0,
    "white_space": "normal",
    "text_decoration_line": "none",
    "vertical_align": "baseline",
}


@dataclass(frozen=True)
class Block:
    """The box a paragraph flows in (CSS px): content left edge, width, alignment."""

    x: float
    width: float
    align: str


@dataclass(frozen=True)
class Profile:
    """How a template structure lays out: per slot text its style and paragraph."""

    styles: dict[int, Style]
    paragraph_of: dict[int, int]
    blocks: tuple[Block, ...]
    members: tuple[tuple[int, ...], ...]  # per paragraph, its texts in document order

    def faces(self) -> list[Face]:
        return sorted({s.face for s in self.styles.values()}, key=lambda f: str(f.path))


@dataclass(frozen=True)
class Geometry:
    """Where a static page puts each paragraph's lines (baselines, px) and the QR codes."""

    baselines: tuple[tuple[float, ...], ...]
    qr_boxes: tuple[tuple[float, float, float], ...]  # left, top, size


def font_files(css_path: Path) -> dict[tuple[str, int, str], Path]:
    """(family, weight, style) -> local font file, from a stylesheet's @font-face rules."""
    rules = tinycss2.parse_stylesheet(
        css_path.read_text(), skip_comments=True, skip_whitespace=True
    )
    found: dict[tuple[str, int, str], Path] = {}
    for rule in rules:
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or not rule.content:
            continue
        values = {
            d.lower_name: d.value
            for d in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True)
            if d.type == "declaration"
        }
        family = _first_string(values.get("font-family", []))
        path = _first_file(values.get("src", []), css_path.parent)
        if family and path is not None:
            weight = _keyword(values.get("font-weight", []), "normal")
            key = (
                family.lower(),
                int(_WEIGHTS.get(weight, weight)),
                _keyword(values.get("font-style", []), "normal"),
            )
            found.setdefault(key, path)
    return found


def learn(document: Any, *, slots: int, placeholders: dict[int, str], fonts: dict) -> Profile:
    """Styles and paragraphs of a page laid out with ``placeholders`` (text index -> text)."""
    _one_page(document)
    styles: dict[int, Style] = {}
    paragraph_of: dict[int, int] = {}
    blocks: list[Block] = []
    drawn: list[list[tuple[int, Any]]] = []
    last = None
    for slot in _slot_boxes(document, slots):
        for container, line in _lines(slot):
            texts = list(_texts(line))
            if not texts:
                continue
            if container is last:
                raise CannotStamp("placeholder text wrapped in the learning layout")
            last = container
            blocks.append(Block(container.content_box_x(), container.width, _align(container)))
            drawn.append(texts)
            for index, box in texts:
                paragraph_of[index] = len(blocks) - 1
                styles[index] = _style(box, fonts)
                _check_baseline(box, line)
    _assign_collapsed(paragraph_of, placeholders)
    members = tuple(
        tuple(i for i in sorted(placeholders) if paragraph_of[i] == number)
        for number in range(len(blocks))
    )
    profile = Profile(styles, paragraph_of, tuple(blocks), members)
    for number, block in enumerate(blocks):
        _check_positions(block, drawn[number], list(members[number]), profile, placeholders)
    return profile


def _assign_collapsed(paragraph_of: dict[int, int], placeholders: dict[int, str]) -> None:
    """Give the texts WeasyPrint left no box for (collapsed whitespace) the paragraph before
    them: the stamper must find them collapsed there too, or it has no style to draw them."""
    previous = 0
    for index in sorted(placeholders):
        if index in paragraph_of:
            previous = paragraph_of[index]
        elif placeholders[index].strip():
            raise CannotStamp(f"slot text {index} is not laid out")
        else:
            paragraph_of[index] = previous


def measure(document: Any, *, profile: Profile, slots: int, qr_slots: int) -> Geometry:
    """Baselines per paragraph and the QR boxes of a static page; checks its paragraph boxes."""
    _one_page(document)
    baselines: dict[int, list[float]] = {}
    for slot in _slot_boxes(document, slots):
        for container, line in _lines(slot):
            texts = list(_texts(line))
            if not texts:
                continue
            numbers = {profile.paragraph_of.get(index) for index, _ in texts}
            if len(numbers) != 1 or None in numbers:
                raise CannotStamp("a static line mixes paragraphs")
            (number,) = numbers
            assert number is not None
            block = profile.blocks[number]
            if (
                abs(container.content_box_x() - block.x) > 0.01
                or abs(container.width - block.width) > 0.01
            ):
                raise CannotStamp("a slot's box depends on its content")
            baselines.setdefault(number, []).append(line.position_y + line.baseline)
    qr_boxes = tuple(_qr_boxes(document))
    if len(qr_boxes) != qr_slots:
        raise CannotStamp("QR slot not laid out")
    return Geometry(
        tuple(tuple(baselines.get(n, ())) for n in range(len(profile.blocks))), qr_boxes
    )


def _one_page(document: Any) -> None:
    if len(document.pages) != 1:
        raise CannotStamp("the page does not fit on one sheet")


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _slot_boxes(document: Any, expected: int) -> list[Any]:
    found, seen = [], set()
    for box in _walk(document.pages[0]._page_box):
        element = getattr(box, "element", None)
        if element is None or element.get(SLOT) in (None, QR) or id(element) in seen:
            continue
        seen.add(id(element))
        if not isinstance(box, boxes.BlockContainerBox):
            raise CannotStamp("a text slot must be a block (a block, table cell or list item)")
        found.append(box)
    if len(found) != expected:
        raise CannotStamp("slots missing from the layout")
    return found


def _lines(slot: Any) -> Iterator[tuple[Any, Any]]:
    """(containing block, line box) for each line of a slot, in order."""

    def walk(box: Any) -> Iterator[tuple[Any, Any]]:
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.LineBox):
                yield box, child
            elif isinstance(child, boxes.BlockContainerBox):
                if child.style["text_indent"].value:
                    raise CannotStamp("indented text in a slot")
                yield from walk(child)
            elif not isinstance(child, boxes.BlockLevelBox):
                raise CannotStamp(f"unexpected {type(child).__name__} in a slot")

    if slot.style["text_indent"].value:
        raise CannotStamp("indented text in a slot")
    yield from walk(slot)


def _texts(line: Any) -> Iterator[tuple[int, Any]]:
    """(slot text index, text box) of a line, checking the inline boxes on the way."""
    for box in _walk(line):
        if isinstance(box, boxes.TextBox):
            element = box.element
            if element is None or element.tag != TEXT_TAG or "::" in (box.element_tag or ""):
                raise CannotStamp("text in a slot that the template does not write")
            yield int(element.get("i")), box
        elif isinstance(box, boxes.InlineBox) and box.element is not None:
            if box.element.tag != TEXT_TAG:
                _check_plain(box)
        elif not isinstance(box, (boxes.LineBox, boxes.InlineBox)):
            raise CannotStamp(f"unexpected {type(box).__name__} in a slot's line")


def _check_plain(box: Any) -> None:
    """An inline element inside a slot must draw nothing but its text."""
    style = box.style
    borders = ("border_top_width", "border_right_width", "border_bottom_width", "border_left_width")
    if style["background_color"].alpha or any(style[b] for b in borders):
        raise CannotStamp("an inline element in a slot draws a background or border")
    if any(image != ("none", None) for image in style["background_image"]):
        raise CannotStamp("an inline element in a slot draws a background image")
    if style["outline_width"] and style["outline_style"] != "none":
        raise CannotStamp("an inline element in a slot draws an outline")


def _style(box: Any, fonts: dict[tuple[str, int, str], Path]) -> Style:
    style = box.style
    for key, neutral in _NEUTRAL.items():
        allowed = neutral if isinstance(neutral, tuple) else (neutral,)
        if style[key] not in allowed:
            raise CannotStamp(f"{key}: {style[key]!r} in a slot")
    if style["font_kerning"] not in ("auto", "normal"):
        raise CannotStamp("font-kerning off in a slot")
    if style["text_transform"] not in ("none", "uppercase", "lowercase"):
        raise CannotStamp(f"text-transform: {style['text_transform']} in a slot")
    color = style["color"]
    if color.space != "srgb" or color.alpha != 1:
        raise CannotStamp("a slot's text colour is not opaque sRGB")
    spacing = style["letter_spacing"]
    return Style(
        face=face(_font_file(style, fonts)),
        size=float(style["font_size"]),
        color=(float(color[0]), float(color[1]), float(color[2])),
        letter_spacing=0.0 if spacing == "normal" else float(spacing),
        transform=style["text_transform"],
        anywhere=style["overflow_wrap"] in ("anywhere", "break-word"),
    )


def _font_file(style: Any, fonts: dict[tuple[str, int, str], Path]) -> Path:
    for family in style["font_family"]:
        known = [key for key in fonts if key[0] == family.lower()]
        if not known:
            continue
        path = fonts.get((family.lower(), int(style["font_weight"]), style["font_style"]))
        if path is None:
            raise CannotStamp(f"no @font-face for {family} {style['font_weight']}")
        return path
    raise CannotStamp(f"font {style['font_family']} is not pinned by the template's @font-face")


def _align(container: Any) -> str:
    align = container.style["text_align_all"]
    if align in ("left", "start"):
        return "left"
    if align in ("right", "end"):
        return "right"
    if align == "center":
        return "center"
    raise CannotStamp(f"text-align: {align} in a slot")


def _check_baseline(box: Any, line: Any) -> None:
    if abs(box.position_y + box.baseline - line.position_y - line.baseline) > 0.01:
        raise CannotStamp("a text in a slot is not on its line's baseline")


def _check_positions(
    block: Block,
    drawn: list[tuple[int, Any]],
    members: list[int],
    profile: Profile,
    placeholders: dict[int, str],
) -> None:
    """Lay the placeholders out again: every text box must land where WeasyPrint put it."""
    lines = break_lines([(i, placeholders[i]) for i in members], profile.styles, float("inf"))
    pieces = [piece for line in lines for piece in line.pieces]
    drawn = [(index, box) for index, box in drawn if box.text]
    if [p.index for p in pieces] != [index for index, _ in drawn]:
        raise CannotStamp("the slot's texts do not collapse as WeasyPrint's")
    x = block.x + offset(block, sum(p.width for p in pieces))
    for piece, (_, box) in zip(pieces, drawn, strict=True):
        if abs(box.position_x - x) > _TOLERANCE or abs(box.width - piece.width) > _TOLERANCE:
            raise CannotStamp(f"slot text {piece.index} is not where the stamper would put it")
        x += piece.width


def offset(block: Block, width: float) -> float:
    """Where a line of ``width`` starts inside its block, as text-align puts it."""
    if block.align == "center":
        return max(0.0, (block.width - width) / 2)
    if block.align == "right":
        return max(0.0, block.width - width)
    return 0.0


def _qr_boxes(document: Any) -> Iterator[tuple[float, float, float]]:
    for box in _walk(document.pages[0]._page_box):
        element = getattr(box, "element", None)
        if isinstance(box, boxes.ReplacedBox) and element is not None and element.get(SLOT) == QR:
            if abs(box.width - box.height) > 0.5 or box.width < 50:
                raise CannotStamp("the QR slot is not a square of at least 50 px")
            yield box.content_box_x(), box.content_box_y(), box.width


def _first_string(tokens: list[Any]) -> str | None:
    for token in tokens:
        if token.type == "string":
            return token.value
        if token.type == "ident":
            return " ".join(t.value for t in tokens if t.type == "ident")
    return None


def _first_file(tokens: list[Any], base: Path) -> Path | None:
    for token in tokens:
        url = token.value if token.type == "url" else None
        if token.type == "function" and token.lower_name == "url":
            url = _first_string(token.arguments)
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path))
        elif not parts.scheme:
            path = base / unquote(parts.path)
        else:
            continue
        if path.is_file():
            return path
    return None


def _keyword(tokens: list[Any], default: str) -> str:
    for token in tokens:
        if token.type in ("ident", "number"):
            return str(token.value).lower() if token.type == "ident" else str(int(token.value))
    return default
