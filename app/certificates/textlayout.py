"""Line breaking for stamped text, as CSS lays out ``white-space: normal`` inline content.

A paragraph is the inline content of one block box of a slot: runs of text, each with its own
style (the text boxes WeasyPrint would make). Spaces collapse across runs, lines break after
spaces, a space at the end of a line hangs, and each run is shaped on its own (no kerning or
ligature across two elements), as WeasyPrint does. A word wider than its line is broken
between characters when the style says ``overflow-wrap: anywhere`` (or ``break-word``);
otherwise the text overflows its slot and ``CannotStamp`` is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

from app.certificates.fonts import Face, MissingGlyph, Shaped
from app.certificates.slots import CannotStamp

_WHITESPACE = " \t\n\r\f"
# WeasyPrint measures in Pango units (1/1024 px): allow for their rounding when testing a fit.
_FIT_SLACK = 0.02


@dataclass(frozen=True)
class Style:
    """What the stamper needs of one text box's computed style (CSS px)."""

    face: Face
    size: float
    color: tuple[float, float, float]
    letter_spacing: float
    transform: str  # "none", "uppercase" or "lowercase"
    anywhere: bool  # overflow-wrap lets a long word break between characters

    def apply(self, text: str) -> str:
        if self.transform == "uppercase":
            return text.upper()
        if self.transform == "lowercase":
            return text.lower()
        return text


@dataclass(frozen=True)
class Piece:
    """One text box of a line: a text's characters, their glyphs and advance."""

    index: int
    text: str
    shaped: Shaped
    width: float


@dataclass(frozen=True)
class Line:
    pieces: tuple[Piece, ...]
    width: float


class _Run:
    """A text of the paragraph after collapsing, shaped once; pieces are measured by slicing."""

    def __init__(self, index: int, text: str, style: Style, offset: int) -> None:
        self.index, self.text, self.style, self.offset = index, text, style, offset
        try:
            self.shaped = style.face.shape(text, ligatures=not style.letter_spacing)
        except MissingGlyph as error:
            raise CannotStamp(f"no glyph for {str(error)!r} in the stamped subset") from error
        face = style.face
        self._scale = style.size / face.upm
        self._advance = [0, *accumulate(face.advance(g) for g in self.shaped.glyphs)]
        self._kern = [0, *accumulate(self.shaped.kerns)]
        # Glyph index at each character offset that starts a cluster (and at the end).
        self.glyph_at = {c: g for g, c in enumerate(self.shaped.clusters)}
        self.glyph_at[len(text)] = len(self.shaped.glyphs)

    def units(self, first: int, last: int) -> int:
        """Advance of glyphs ``first:last`` shaped alone (no kerning before the first)."""
        if last <= first:
            return 0
        return self._advance[last] - self._advance[first] + self._kern[last] - self._kern[first + 1]

    def width(self, start: int, end: int) -> float:
        first, last = self.glyph_at[start], self.glyph_at[end]
        spacing = self.style.letter_spacing * max(0, last - first)
        return self.units(first, last) * self._scale + spacing

    def piece(self, start: int, end: int) -> Piece:
        first, last = self.glyph_at[start], self.glyph_at[end]
        shaped = self.shaped
        sliced = Shaped(
            glyphs=shaped.glyphs[first:last],
            kerns=(0, *shaped.kerns[first + 1 : last]) if last > first else (),
            clusters=tuple(c - start for c in shaped.clusters[first:last]),
            units=self.units(first, last),
        )
        return Piece(self.index, self.text[start:end], sliced, self.width(start, end))


def collapse(texts: list[tuple[int, str]], styles: dict[int, Style]) -> list[tuple[int, str]]:
    """CSS white-space collapsing over a paragraph's texts, then each text's text-transform."""
    out: list[tuple[int, str]] = []
    after_space = True  # spaces at the start of a paragraph go
    for index, text in texts:
        chars = []
        for char in text:
            if char in _WHITESPACE:
                if not after_space:
                    chars.append(" ")
                after_space = True
            else:
                chars.append(char)
                after_space = False
        if chars:
            out.append((index, "".join(chars)))
    if out and out[-1][1].endswith(" "):  # and so do spaces at its end
        index, text = out.pop()
        if text[:-1]:
            out.append((index, text[:-1]))
    result = []
    for index, text in out:
        style = styles.get(index)
        if style is None:
            raise CannotStamp(f"no style known for slot text {index}")
        result.append((index, style.apply(text)))
    return result


def break_lines(texts: list[tuple[int, str]], styles: dict[int, Style], width: float) -> list[Line]:
    """The paragraph's lines for an available ``width`` (px); raises CannotStamp on overflow."""
    runs, offset = [], 0
    for index, text in collapse(texts, styles):
        runs.append(_Run(index, text, styles[index], offset))
        offset += len(text)
    if not runs:
        return []
    breaker = _Breaker(runs, width)
    return breaker.lines()


class _Breaker:
    def __init__(self, runs: list[_Run], width: float) -> None:
        self.runs, self.limit = runs, width + _FIT_SLACK
        self.text = "".join(run.text for run in runs)
        self.owner = [run for run in runs for _ in run.text]

    def measure(self, start: int, end: int) -> float:
        total = 0.0
        for run in self.runs:
            a, b = max(start, run.offset), min(end, run.offset + len(run.text))
            if a < b:
                total += run.width(a - run.offset, b - run.offset)
        return total

    def words(self) -> list[tuple[int, int]]:
        """(start, end) of each word; a break opportunity follows each space."""
        found, start = [], 0
        for position, char in enumerate(self.text):
            if char == " ":
                if position > start:
                    found.append((start, position))
                start = position + 1
        if start < len(self.text):
            found.append((start, len(self.text)))
        return found

    def lines(self) -> list[Line]:
        spans: list[tuple[int, int]] = []
        line_start: int | None = None
        line_end = 0
        for start, end in self.words():
            if line_start is not None and self.measure(line_start, end) <= self.limit:
                line_end = end
                continue
            if line_start is not None:
                spans.append((line_start, line_end))
            line_start, line_end = start, end
            while self.measure(line_start, line_end) > self.limit:
                cut = self.cut(line_start, line_end)
                spans.append((line_start, cut))
                line_start = cut
        if line_start is not None:
            spans.append((line_start, line_end))
        return [self.line(a, b) for a, b in spans]

    def cut(self, start: int, end: int) -> int:
        """Where a word too wide for a line breaks (overflow-wrap: anywhere)."""
        if not self.owner[start].style.anywhere:
            raise CannotStamp("a word is wider than its slot")
        best = None
        for position in range(start + 1, end):
            run = self.owner[position]
            if position - run.offset in run.glyph_at:  # between two clusters
                if self.measure(start, position) > self.limit:
                    break
                best = position
        if best is None:
            raise CannotStamp("a character is wider than its slot")
        return best

    def line(self, start: int, end: int) -> Line:
        pieces = []
        for run in self.runs:
            a, b = max(start, run.offset), min(end, run.offset + len(run.text))
            if a < b:
                pieces.append(run.piece(a - run.offset, b - run.offset))
        return Line(tuple(pieces), sum(p.width for p in pieces))
