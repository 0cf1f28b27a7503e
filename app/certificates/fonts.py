"""The faces the fast path stamps text with (``stamp``): shaping, metrics and one fixed subset.

Shaping does for Latin text what Pango and HarfBuzz do in a WeasyPrint render: the font's
``liga`` ligatures and its GPOS pair kerning, one text box at a time. Measured on the template's
four DejaVu faces, widths agree with WeasyPrint's to 0.02 px. Each face is embedded as one
subset of ``REPERTOIRE`` (ASCII, Latin-1, Latin Extended-A and common punctuation), the same
for every certificate; text with a character outside it cannot be stamped and takes the full
render. Built once per process: parsing a face costs ~0.1 s and subsetting it ~0.1 s.
"""

from __future__ import annotations

import hashlib
import io
import logging
import string
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from fontTools import subset as ft_subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

_PUNCTUATION = (0x2013, 0x2014, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E, 0x2022, 0x2026)
REPERTOIRE = frozenset(
    chr(code)
    for code in (*range(0x20, 0x7F), *range(0xA0, 0x180), *_PUNCTUATION, 0x20AC, 0x2122)
    # A soft hyphen is a hidden break opportunity, not a glyph.
    if code != 0xAD
)
_LIGATURE_FEATURES = ("liga", "clig", "rlig")
_SCRIPT = "latn"


class MissingGlyph(ValueError):
    """The text needs a character the stamped subset does not carry."""


@dataclass(frozen=True)
class Shaped:
    """One text box's glyphs: ``kerns[i]`` (font units) goes before glyph ``i``, which starts at
    character ``clusters[i]`` of the text (a ligature covers several characters)."""

    glyphs: tuple[int, ...]
    kerns: tuple[int, ...]
    clusters: tuple[int, ...]
    units: int


class Face:
    """One font file: its cmap, advances, ligatures and kerning, and its embedded subset."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        font = TTFont(str(self.path))
        self.upm: int = font["head"].unitsPerEm
        self.name: str = font["name"].getDebugName(6) or self.path.stem
        self._cmap: dict[int, int] = {
            code: font.getGlyphID(name) for code, name in font.getBestCmap().items()
        }
        order = font.getGlyphOrder()
        self._advances = [font["hmtx"][name][0] for name in order]
        self._ligatures = _ligature_lookups(font) if "GSUB" in font else []
        self._kerning = _kern_lookups(font) if "GPOS" in font else []
        self._metrics = _descriptor_metrics(font, self.upm)
        self._subset: bytes | None = None
        self._lock = threading.Lock()

    def shape(self, text: str, *, ligatures: bool = True) -> Shaped:
        """Glyphs and advance of ``text`` as one text box; raises MissingGlyph."""
        glyphs = []
        for char in text:
            glyph = self._cmap.get(ord(char)) if char in REPERTOIRE else None
            if glyph is None:
                raise MissingGlyph(char)
            glyphs.append(glyph)
        clusters = list(range(len(glyphs)))
        if ligatures:
            for lookup in self._ligatures:
                glyphs, clusters = _substitute(glyphs, clusters, lookup)
        kerns = [0] + [self.kern(a, b) for a, b in zip(glyphs, glyphs[1:], strict=False)]
        units = sum(self._advances[g] for g in glyphs) + sum(kerns)
        return Shaped(tuple(glyphs), tuple(kerns), tuple(clusters), units)

    def kern(self, first: int, second: int) -> int:
        """The pair adjustment (font units) HarfBuzz applies between two glyphs."""
        total = 0
        for lookup in self._kerning:
            for subtable in lookup:
                value = subtable(first, second)
                if value is not None:  # the first subtable that covers the pair applies
                    total += value
                    break
        return total

    def advance(self, glyph: int) -> int:
        return self._advances[glyph]

    def subset_glyphs(self) -> dict[int, str]:
        """The glyphs of the subset and the text each stands for (ToUnicode)."""
        text: dict[int, str] = {}
        for char in sorted(REPERTOIRE):
            glyph = self._cmap.get(ord(char))
            if glyph is not None:
                text.setdefault(glyph, char)
        for lookup in self._ligatures:
            for first, options in lookup.items():
                for components, ligature in options:
                    if first in text and all(c in text for c in components):
                        text.setdefault(
                            ligature, text[first] + "".join(text[c] for c in components)
                        )
        return text

    def subset(self) -> bytes:
        """The TrueType subset embedded for this face (glyph ids kept, hinting dropped)."""
        with self._lock:
            if self._subset is None:
                self._subset = _build_subset(self.path, sorted(self.subset_glyphs()))
            return self._subset

    def embed(self, pdf: pikepdf.Pdf) -> pikepdf.Object:
        """A Type 0 font for this face's subset, added to ``pdf`` (Identity-H, CID = glyph id)."""
        glyphs = self.subset_glyphs()
        program = self.subset()
        base = f"{_subset_tag(program)}+{self.name}"
        file_stream = pikepdf.Stream(pdf, zlib.compress(program))
        file_stream.Filter = pikepdf.Name.FlateDecode
        file_stream.Length1 = len(program)
        descriptor = pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor,
            FontName=pikepdf.Name("/" + base),
            FontFile2=pdf.make_indirect(file_stream),
            **self._metrics,
        )
        scale = 1000 / self.upm
        widths: list[Any] = []
        for glyph in sorted(glyphs):
            widths += [glyph, [round(self._advances[glyph] * scale, 3)]]
        cid_font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.CIDFontType2,
            BaseFont=pikepdf.Name("/" + base),
            CIDSystemInfo=pikepdf.Dictionary(
                Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
            ),
            FontDescriptor=pdf.make_indirect(descriptor),
            W=pikepdf.Array(widths),
            CIDToGIDMap=pikepdf.Name.Identity,
        )
        to_unicode = pikepdf.Stream(pdf, zlib.compress(_to_unicode_cmap(glyphs)))
        to_unicode.Filter = pikepdf.Name.FlateDecode
        return pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type0,
                BaseFont=pikepdf.Name("/" + base),
                Encoding=pikepdf.Name("/Identity-H"),
                DescendantFonts=pikepdf.Array([pdf.make_indirect(cid_font)]),
                ToUnicode=pdf.make_indirect(to_unicode),
            )
        )


_faces: dict[Path, Face] = {}
_faces_lock = threading.Lock()


def face(path: Path) -> Face:
    """The process's one ``Face`` for a font file."""
    key = Path(path).resolve()
    with _faces_lock:
        if key not in _faces:
            _faces[key] = Face(key)
        return _faces[key]


def _substitute(
    glyphs: list[int], clusters: list[int], lookup: dict[int, list[tuple[tuple[int, ...], int]]]
) -> tuple[list[int], list[int]]:
    out, starts, index = [], [], 0
    while index < len(glyphs):
        starts.append(clusters[index])
        for components, ligature in lookup.get(glyphs[index], ()):
            end = index + 1 + len(components)
            if tuple(glyphs[index + 1 : end]) == components:
                out.append(ligature)
                index = end
                break
        else:
            out.append(glyphs[index])
            index += 1
    return out, starts


def _feature_lookups(table: Any, features: tuple[str, ...]) -> list[int]:
    """Lookup indexes of ``features`` in the default language system of the Latin script."""
    records = {r.ScriptTag: r.Script for r in table.ScriptList.ScriptRecord}
    script = records.get(_SCRIPT) or records.get("DFLT")
    if script is None or script.DefaultLangSys is None:
        return []
    indexes: set[int] = set()
    for feature_index in script.DefaultLangSys.FeatureIndex:
        record = table.FeatureList.FeatureRecord[feature_index]
        if record.FeatureTag in features:
            indexes.update(record.Feature.LookupListIndex)
    return sorted(indexes)


def _subtables(lookup: Any, extension_type: int) -> list[tuple[int, Any]]:
    found = []
    for subtable in lookup.SubTable:
        kind = lookup.LookupType
        if kind == extension_type:
            kind, subtable = subtable.ExtensionLookupType, subtable.ExtSubTable
        found.append((kind, subtable))
    return found


def _ligature_lookups(font: TTFont) -> list[dict[int, list[tuple[tuple[int, ...], int]]]]:
    table, gid = font["GSUB"].table, font.getGlyphID
    lookups = []
    for index in _feature_lookups(table, _LIGATURE_FEATURES):
        mapping: dict[int, list[tuple[tuple[int, ...], int]]] = {}
        for kind, subtable in _subtables(table.LookupList.Lookup[index], 7):
            if kind != 4:
                raise ValueError(f"{font.reader.file.name}: unsupported ligature lookup {kind}")
            for first, ligatures in subtable.ligatures.items():
                mapping.setdefault(gid(first), []).extend(
                    (tuple(gid(c) for c in lig.Component), gid(lig.LigGlyph)) for lig in ligatures
                )
        lookups.append(mapping)
    return lookups


def _kern_lookups(font: TTFont) -> list[list[Any]]:
    table, gid = font["GPOS"].table, font.getGlyphID
    lookups = []
    for index in _feature_lookups(table, ("kern",)):
        subtables = []
        for kind, subtable in _subtables(table.LookupList.Lookup[index], 9):
            if kind != 2:
                raise ValueError(f"{font.reader.file.name}: unsupported kerning lookup {kind}")
            subtables.append(_pair_subtable(subtable, gid))
        lookups.append(subtables)
    return lookups


def _pair_subtable(subtable: Any, gid: Any) -> Any:
    covered = {gid(name) for name in subtable.Coverage.glyphs}
    if subtable.Format == 1:
        pairs = {
            gid(first): {
                gid(r.SecondGlyph): getattr(r.Value1, "XAdvance", 0) or 0
                for r in pair_set.PairValueRecord
            }
            for first, pair_set in zip(subtable.Coverage.glyphs, subtable.PairSet, strict=True)
        }

        def format1(first: int, second: int) -> int | None:
            if first not in covered:
                return None
            return pairs[first].get(second)

        return format1
    first_class = {gid(n): c for n, c in subtable.ClassDef1.classDefs.items()}
    second_class = {gid(n): c for n, c in subtable.ClassDef2.classDefs.items()}
    matrix = [
        [getattr(r.Value1, "XAdvance", 0) or 0 for r in row.Class2Record]
        for row in subtable.Class1Record
    ]

    def format2(first: int, second: int) -> int | None:
        if first not in covered:
            return None
        return matrix[first_class.get(first, 0)][second_class.get(second, 0)]

    return format2


def _descriptor_metrics(font: TTFont, upm: int) -> dict[str, Any]:
    scale = 1000 / upm
    head, hhea = font["head"], font["hhea"]
    cap_height = getattr(font["OS/2"], "sCapHeight", 0) or hhea.ascent
    return {
        "Flags": 4,  # symbolic: glyphs are addressed by id, not through a standard encoding
        "FontBBox": pikepdf.Array(
            [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        ),
        "ItalicAngle": round(font["post"].italicAngle),
        "Ascent": round(hhea.ascent * scale),
        "Descent": round(hhea.descent * scale),
        "CapHeight": round(cap_height * scale),
        "StemV": 80,
    }


def _build_subset(path: Path, glyphs: list[int]) -> bytes:
    options = ft_subset.Options()
    options.retain_gids = True  # CID = glyph id of the full font, as the stamper shapes
    options.hinting = False
    options.notdef_outline = True
    options.glyph_names = False
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "MATH", "gasp"]
    font = TTFont(str(path))
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(gids=[0, *glyphs])
    quiet = logging.getLogger("fontTools.subset")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # it narrates every table at INFO
    try:
        subsetter.subset(font)
    finally:
        quiet.setLevel(level)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _subset_tag(program: bytes) -> str:
    digest = hashlib.sha256(program).digest()
    return "".join(string.ascii_uppercase[b % 26] for b in digest[:6])


def _to_unicode_cmap(glyphs: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    items = sorted(glyphs.items())
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{g:04X}> <{text.encode('utf-16-be').hex().upper()}>" for g, text in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")
