"""A PDF's cross-reference data, read and checked without a PDF library.

qpdf (behind pikepdf) quietly rebuilds a broken cross-reference table by scanning the file, so a
file cut short with ``%%EOF`` added back, or one whose offsets point at the wrong objects,
opens "fine". Loket refuses such files instead: ``startxref`` must point at a cross-reference
table or stream, every in-use entry of every section (incremental updates included) must point at
the object it names, and the ``/Prev`` chain must end. This is read here, before qpdf sees the
file, because qpdf inflates cross-reference streams in memory while opening: ours are inflated
within a bound.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

_TAIL_BYTES = 1024
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF")
_OBJECT_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\b")
_SUBSECTION = re.compile(rb"\s*(\d+)[ \t]+(\d+)[ \t]*[\r\n]")
_ENTRY = re.compile(rb"\s*(\d{1,10})\s+(\d{1,5})\s+([nf])")
_TRAILER = re.compile(rb"\s*trailer\b")
_STREAM_START = re.compile(rb"stream\r?\n")
_MAX_SECTIONS = 10_000  # a /Prev chain longer than this is a loop in disguise


class XrefError(Exception):
    """The cross-reference data is missing, malformed or points at the wrong objects."""


class Incomplete(XrefError):
    """No ``startxref ... %%EOF`` at the end: the file was cut off."""


@dataclass
class Xref:
    """What the cross-reference sections say is in the file."""

    # Objects stored uncompressed, by (number, generation): their offsets. The newest section
    # is read first and wins.
    offsets: dict[tuple[int, int], int] = field(default_factory=dict)
    # Objects stored inside object streams, by number.
    compressed: set[int] = field(default_factory=set)


def read_xref(data: bytes, *, padding: bytes) -> Xref:
    """Check every cross-reference section from ``startxref`` back; what they list."""
    start = _startxref(data, padding=padding)
    xref = Xref()
    pending, seen = [start], set[int]()
    while pending:
        offset = pending.pop()
        if offset in seen or len(seen) > _MAX_SECTIONS or offset >= len(data):
            raise XrefError("cross-reference chain loops or points outside the file")
        seen.add(offset)
        if data[offset : offset + 4] == b"xref":
            pending += _read_table(data, offset + 4, xref)
        else:
            pending += _read_stream(data, offset, xref)
    return xref


def _startxref(data: bytes, *, padding: bytes) -> int:
    # The last startxref must end the file: bytes after its %%EOF (other than padding) would
    # be a second file riding along, or a sign that the real end was cut off.
    tail = data[-_TAIL_BYTES:].rstrip(padding)
    found = [m for m in _STARTXREF.finditer(tail) if m.end() == len(tail)]
    if not found and b"%%EOF" not in tail:
        raise Incomplete("no %%EOF at the end")
    if not found:
        raise XrefError("no startxref ... %%EOF at the end, or data after it")
    return int(found[-1].group(1))


def _check_object_at(data: bytes, offset: int, number: int, generation: int) -> None:
    found = _OBJECT_HEADER.match(data, offset)
    if found is None or (int(found.group(1)), int(found.group(2))) != (number, generation):
        raise XrefError(f"entry for object {number} {generation} points elsewhere ({offset})")


# --- cross-reference tables -------------------------------------------------------------------


def _read_table(data: bytes, position: int, xref: Xref) -> list[int]:
    """Check one classic table's entries; return the offsets of the sections it chains to."""
    while (header := _SUBSECTION.match(data, position)) is not None:
        first, count = int(header.group(1)), int(header.group(2))
        position = header.end()
        if count * 18 > len(data) - position:
            raise XrefError("subsection longer than the file")
        for number in range(first, first + count):
            entry = _ENTRY.match(data, position)
            if entry is None:
                raise XrefError("malformed cross-reference entry")
            position = entry.end()
            if entry.group(3) == b"n":
                offset, generation = int(entry.group(1)), int(entry.group(2))
                _check_object_at(data, offset, number, generation)
                xref.offsets.setdefault((number, generation), offset)
    if _TRAILER.match(data, position) is None:
        raise XrefError("no trailer after the cross-reference table")
    end = data.find(b"startxref", position)
    trailer = data[position : end if end >= 0 else None]
    return [int(m.group(1)) for m in re.finditer(rb"/(?:Prev|XRefStm)\s+(\d+)", trailer)]


# --- cross-reference streams ------------------------------------------------------------------


def _read_stream(data: bytes, offset: int, xref: Xref) -> list[int]:
    """Check one cross-reference stream's entries; return the offsets it chains to."""
    header = _OBJECT_HEADER.match(data, offset)
    if header is None:
        raise XrefError("startxref or /Prev points at neither a table nor a stream")
    start = _STREAM_START.search(data, header.end())
    if start is None:
        raise XrefError("cross-reference stream without data")
    info = data[header.end() : start.start()]
    if re.search(rb"/Type\s*/XRef\b", info) is None:
        raise XrefError("startxref or /Prev points at an object that is no cross-reference")
    widths = _ints(info, rb"/W\s*\[([\d\s]+)\]")
    size = _ints(info, rb"/Size\s+(\d+)")
    if len(widths) != 3 or len(size) != 1:
        raise XrefError("cross-reference stream without /W or /Size")
    index = _ints(info, rb"/Index\s*\[([\d\s]+)\]") or [0, size[0]]
    if len(index) % 2:
        raise XrefError("cross-reference stream with an odd /Index")
    count = sum(index[1::2])
    rows = _stream_rows(data, info, start.end(), width=sum(widths), count=count)
    if len(rows) < count:
        raise XrefError("cross-reference stream shorter than its /Index says")
    pairs = zip(index[::2], index[1::2], strict=True)
    numbers = [n for first, n_entries in pairs for n in range(first, first + n_entries)]
    for number, row in zip(numbers, rows[:count], strict=True):
        kind, second, third = _fields(row, widths)
        if kind == 1:
            _check_object_at(data, second, number, third)
            xref.offsets.setdefault((number, third), second)
        elif kind == 2:
            xref.compressed.add(number)
    return [int(m.group(1)) for m in re.finditer(rb"/Prev\s+(\d+)", info)]


def _ints(info: bytes, pattern: bytes) -> list[int]:
    found = re.search(pattern, info)
    return [int(n) for n in found.group(1).split()] if found else []


def _fields(row: bytes, widths: list[int]) -> tuple[int, int, int]:
    values, position = [], 0
    for width in widths:
        values.append(int.from_bytes(row[position : position + width], "big"))
        position += width
    # A zero-width type field means every entry is type 1 (ISO 32000-1, 7.5.8.2).
    kind = values[0] if widths[0] else 1
    return kind, values[1], values[2]


def _stream_rows(text: bytes, info: bytes, start: int, *, width: int, count: int) -> list[bytes]:
    length = _ints(info, rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
    if not length or width == 0:
        raise XrefError("cross-reference stream without a direct /Length or /W")
    raw = text[start : start + length[0]]
    predictor = (_ints(info, rb"/Predictor\s+(\d+)") or [1])[0]
    row_bytes = width + (1 if predictor >= 10 else 0)
    expected = row_bytes * count
    if re.search(rb"/Filter\s*\[?\s*/FlateDecode\s*\]?", info):
        decoded = inflate(raw, limit=expected)
    elif b"/Filter" in info:
        raise XrefError("cross-reference stream with a filter other than FlateDecode")
    else:
        decoded = raw
    if predictor >= 10:
        return _png_unpredict(decoded, width)
    if predictor != 1:
        raise XrefError("cross-reference stream with a TIFF predictor")
    return [decoded[i : i + width] for i in range(0, len(decoded) - width + 1, width)]


def _png_unpredict(decoded: bytes, width: int) -> list[bytes]:
    """Undo PNG row filters (bpc 8, one colour, as cross-reference streams use them)."""
    rows, previous = [], bytes(width)
    for start in range(0, len(decoded) - width, width + 1):
        kind, row = decoded[start], bytearray(decoded[start + 1 : start + 1 + width])
        for i in range(width):
            left = row[i - 1] if i else 0
            up, corner = previous[i], previous[i - 1] if i else 0
            row[i] = (row[i] + _predict(kind, left, up, corner)) & 0xFF
        rows.append(bytes(row))
        previous = bytes(row)
    return rows


def _predict(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    if kind == 4:
        estimate = left + up - corner
        distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
        return (left, up, corner)[distances.index(min(distances))]
    raise XrefError("unknown PNG predictor in a cross-reference stream")


def inflate(raw: bytes, *, limit: int) -> bytes:
    """zlib-inflate ``raw``; XrefError if it is not zlib data or would exceed ``limit`` bytes."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise XrefError("cross-reference stream is not valid Flate data") from None
    if len(out) > limit:
        raise XrefError("cross-reference stream inflates past its declared size")
    return out
