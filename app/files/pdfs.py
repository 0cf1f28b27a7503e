"""Checking an uploaded PDF: complete, consistent, bounded decompression, no active content.

In order, cheapest first: the file must end with ``startxref``/``%%EOF`` and its
cross-reference sections must point at the objects they name (``pdfxref``); then, inside a check
slot and before qpdf reads anything, every stream is inflated from the raw bytes a chunk at a
time against one budget of decoded bytes for the whole file (a small file that would inflate to
gigabytes in a viewer is refused; nothing larger than a chunk is held); only then does qpdf open
the file, without repairing anything, for encryption, active content and pages.

The budget must run first because qpdf inflates in memory: cross-reference streams while
opening (``pdfxref`` reads those within a bound of its own) and an object stream as soon as one
object in it is read, which walking ``pdf.objects`` does.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import pikepdf

from app.errors import UnsupportedMedia
from app.files import pdfxref
from app.files.mediatypes import PADDING, refuse
from app.files.slots import CheckSlots

# PDF features that run code, open other files or carry hidden files. Keys anywhere in any
# dictionary; action types as /S values; object types as /Type or /Subtype values.
_FORBIDDEN_KEYS = frozenset(
    {"/JS", "/JavaScript", "/AA", "/XFA", "/EmbeddedFiles", "/EF", "/RichMediaContent"}
)
_FORBIDDEN_ACTIONS = frozenset(
    {
        "/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/GoToR",
        "/RichMediaExecute", "/Rendition", "/Movie", "/Sound",
    }
)  # fmt: skip
_FORBIDDEN_TYPES = frozenset({"/EmbeddedFile", "/RichMedia", "/FileAttachment"})


def check_pdf(
    path: Path, *, max_inflated_bytes: int, slots: CheckSlots, wait_seconds: float
) -> None:
    """Refuse (415) a PDF that is cut off, inconsistent, a decompression bomb, encrypted or
    active; 503 (UploadChecksBusy) when no check slot frees up within ``wait_seconds``."""
    data = path.read_bytes()  # bounded by the upload size limit
    try:
        xref = pdfxref.read_xref(data, padding=PADDING)
        with slots.held(wait_seconds=wait_seconds):
            _check_inflated_size(data, xref, max_inflated_bytes)
        del data
        with pikepdf.open(path, attempt_recovery=False) as pdf:
            if pdf.is_encrypted:
                raise _encrypted_pdf()
            found = _find_active_content(pdf)
            pages = len(pdf.pages)
            # qpdf warns, rather than fails, about an object it had to guess at (a wrong
            # /Length, an offset off its object): a file that needs guessing is damaged.
            # get_warnings() empties the list, so it is read once, after every object.
            if pdf.get_warnings():
                raise _damaged_pdf()
    except pdfxref.Incomplete:
        raise _incomplete_pdf() from None
    except (pdfxref.XrefError, _Damaged, ValueError, IndexError):
        # The two parsers read hostile bytes: any shape they did not expect is damage.
        raise _damaged_pdf() from None
    except _OverBudget:
        raise _bomb_pdf(max_inflated_bytes) from None
    except pikepdf.PasswordError:
        raise _encrypted_pdf() from None
    except pikepdf.PdfError:
        raise _damaged_pdf() from None
    if found:
        raise refuse(
            f"PDF berisi konten aktif ({found}); hapus skrip, lampiran dan aksi otomatis, "
            "atau cetak ulang sebagai PDF.",
            f"The PDF contains active content ({found}); remove scripts, attachments and "
            "automatic actions, or print it to a new PDF.",
        )
    if pages == 0:
        raise refuse("PDF tidak memiliki halaman.", "The PDF has no pages.")


# --- decompression budget ---------------------------------------------------------------------


class _OverBudget(Exception):
    pass


class _Damaged(Exception):
    pass


_FLATE = frozenset({"/FlateDecode", "/Fl"})
# Image codecs turn data into pixels: a viewer decodes them to draw, not as bytes, so counting
# stops at them (a Flate filter in front of one is still counted).
_IMAGE_CODECS = frozenset(
    {"/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode"}
)
# The most each other filter can grow its input: ASCII85's "z" is 4 bytes from 1, a RunLength
# pair 128 from 2, an LZW code up to 4096 bytes from 12 bits. These are not decoded here (rare:
# old scanners write LZW), so a stream counts as its worst case.
_GROWTH = {
    "/ASCIIHexDecode": 1, "/AHx": 1, "/ASCII85Decode": 4, "/A85": 4,
    "/RunLengthDecode": 64, "/RL": 64, "/LZWDecode": 2731, "/LZW": 2731,
}  # fmt: skip
# qpdf holds an object stream's inflated content in memory; one holds dictionaries (qpdf puts
# 100 objects in each), never page content, so a few MB is already generous.
_MAX_OBJECT_STREAM = 16 * 1024 * 1024
_CHUNK = 256 * 1024


class _Budget:
    """Decoded bytes the file's streams may still produce."""

    def __init__(self, limit: int) -> None:
        self.remaining = limit

    def spend(self, n_bytes: int) -> None:
        self.remaining -= n_bytes
        if self.remaining < 0:
            raise _OverBudget


def _check_inflated_size(data: bytes, xref: pdfxref.Xref, limit: int) -> None:
    """Inflate every stream of the file's current objects within ``limit`` decoded bytes."""
    budget = _Budget(limit)
    for offset in sorted(set(xref.offsets.values())):
        found = _stream_at(data, offset)
        if found is None:
            continue
        info, start = found
        raw = data[start : start + _length(data, info, xref, start)]
        if re.search(rb"/Type\s*/ObjStm\b", info):
            # Spent against the file's budget and also against its own, smaller cap.
            inner = _Budget(_MAX_OBJECT_STREAM)
            _spend_on_stream(raw, _filters(info), inner)
            budget.spend(_MAX_OBJECT_STREAM - inner.remaining)
        else:
            _spend_on_stream(raw, _filters(info), budget)


def _spend_on_stream(raw: bytes, filters: list[str], budget: _Budget) -> None:
    for i, name in enumerate(filters):
        if name in _IMAGE_CODECS:
            filters = filters[:i]
            break
    budget.spend(len(raw))
    if all(name in _FLATE for name in filters):
        _inflate_counting(raw, stages=len(filters), budget=budget)
    else:
        budget.spend(len(raw) * math.prod(_GROWTH.get(name, 1) for name in filters))


def _inflate_counting(raw: bytes, *, stages: int, budget: _Budget) -> None:
    """Inflate through ``stages`` Flate filters a chunk at a time, spending every stage's
    output; nothing larger than a chunk is held, however far the data would inflate."""
    if stages == 0:
        return
    inflaters = [zlib.decompressobj() for _ in range(stages)]
    try:
        for start in range(0, len(raw), _CHUNK):
            _feed(inflaters, 0, raw[start : start + _CHUNK], budget)
    except zlib.error:
        # Broken Flate data: a viewer stops decoding there too, so nothing more is counted.
        return


def _feed(inflaters: list[zlib._Decompress], level: int, chunk: bytes, budget: _Budget) -> None:
    inflater = inflaters[level]
    while chunk and not inflater.eof:  # bytes after the end of the Flate data are ignored
        out = inflater.decompress(chunk, _CHUNK)
        chunk = inflater.unconsumed_tail
        budget.spend(len(out))
        if level + 1 < len(inflaters) and out:
            _feed(inflaters, level + 1, out, budget)


# --- reading a stream's dictionary from the raw bytes -----------------------------------------

_OBJECT_HEADER = re.compile(rb"\s*\d+\s+\d+\s+obj\b")
_SPACE = re.compile(rb"(?:\s|%[^\r\n]*)*")
_DICT_SPECIAL = re.compile(rb"[()<>%]")
_STRING_SPECIAL = re.compile(rb"[()\\]")
_STREAM_KEYWORD = re.compile(rb"stream(?:\r\n|\n|\r)")
_NAME = rb"/[^\s/\[\]<>()%{}]+"


def _stream_at(data: bytes, offset: int) -> tuple[bytes, int] | None:
    """For the object at ``offset``: its top-level dictionary (strings, comments and nested
    dictionaries blanked, so that nothing inside them passes for a key) and where its stream
    data starts; None if the object is not a stream."""
    header = _OBJECT_HEADER.match(data, offset)
    if header is None:
        raise _Damaged
    position = _SPACE.match(data, header.end()).end()  # type: ignore[union-attr]
    if not data.startswith(b"<<", position):
        return None
    top, depth = bytearray(), 0
    while True:
        special = _DICT_SPECIAL.search(data, position)
        if special is None:
            raise _Damaged
        if depth == 1:
            top += data[position : special.start()]
        position, char = special.start(), data[special.start()]
        if data.startswith(b"<<", position):
            depth, position = depth + 1, position + 2
        elif data.startswith(b">>", position):
            depth, position = depth - 1, position + 2
            if depth == 0:
                break
        elif char == ord("("):
            position = _skip_string(data, position)
        elif char == ord("<"):
            position = data.find(b">", position) + 1 or len(data)
        elif char == ord("%"):
            position = _SPACE.match(data, position).end()  # type: ignore[union-attr]
        else:
            raise _Damaged  # a lone ">" or ")"
        top += b" "
    keyword = _STREAM_KEYWORD.match(data, _SPACE.match(data, position).end())  # type: ignore[union-attr]
    return (bytes(top), keyword.end()) if keyword else None


def _skip_string(data: bytes, position: int) -> int:
    depth, position = 0, position
    while True:
        special = _STRING_SPECIAL.search(data, position)
        if special is None:
            raise _Damaged
        char, position = data[special.start()], special.end()
        if char == ord("\\"):
            position += 1
        elif char == ord("("):
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return position


def _filters(info: bytes) -> list[str]:
    found = re.search(rb"/Filter\s*(\[[^\]]*\]|" + _NAME + rb"|\d+\s+\d+\s+R)", info)
    if found is None:
        return []
    names = re.findall(_NAME, found.group(1))
    if not names:
        raise _Damaged  # an indirect /Filter: no writer makes one
    return [name.decode("latin-1") for name in names]


def _length(data: bytes, info: bytes, xref: pdfxref.Xref, start: int) -> int:
    """The stream's /Length, following a reference to a directly stored integer; without one,
    everything to the next ``endstream`` (inflating stops at the end of Flate data anyway)."""
    direct = re.search(rb"/Length\s+(\d+)(?!\s+\d+\s+R)", info)
    if direct:
        return int(direct.group(1))
    reference = re.search(rb"/Length\s+(\d+)\s+(\d+)\s+R", info)
    if reference:
        objgen = (int(reference.group(1)), int(reference.group(2)))
        offset = xref.offsets.get(objgen)
        value = re.compile(rb"\s*\d+\s+\d+\s+obj\s*(\d+)\s*endobj").match(data, offset or 0)
        if offset is not None and value:
            return int(value.group(1))
    end = data.find(b"endstream", start)
    return (end if end >= 0 else len(data)) - start


# --- active content ---------------------------------------------------------------------------


def _find_active_content(pdf: pikepdf.Pdf) -> str:
    """Comma-separated names of the forbidden features in any object of the file, or ""."""
    # Every indirect object plus the trailer; nested direct objects are walked below, while
    # references need not be followed because their targets are in pdf.objects too.
    found: set[str] = set()
    for top in [pdf.trailer, *pdf.objects]:
        for obj in _direct_objects(top):
            found |= _forbidden_in(obj)
    return ", ".join(sorted(found))


def _direct_objects(top: pikepdf.Object) -> Iterator[pikepdf.Object]:
    stack = [top]
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            yield obj
            children = list(obj.values())
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            continue
        stack.extend(c for c in children if isinstance(c, pikepdf.Object) and not c.is_indirect)


def _forbidden_in(obj: pikepdf.Object) -> set[str]:
    keys = set(obj.keys())
    found = keys & _FORBIDDEN_KEYS
    # An OpenAction that is a destination array only jumps to a page (LibreOffice writes one);
    # as a dictionary it is an action run on opening (URI, JavaScript, ...).
    if "/OpenAction" in keys and isinstance(obj.get("/OpenAction"), pikepdf.Dictionary):
        found.add("/OpenAction")
    values = {str(obj.get("/S", "")), str(obj.get("/Type", "")), str(obj.get("/Subtype", ""))}
    found |= values & _FORBIDDEN_ACTIONS
    found |= values & _FORBIDDEN_TYPES
    return found


# --- messages ---------------------------------------------------------------------------------


def _incomplete_pdf() -> UnsupportedMedia:
    return refuse(
        "PDF tidak lengkap (bagian akhirnya hilang); unggah ulang berkas aslinya.",
        "The PDF is incomplete (its end is missing); upload the original file again.",
    )


def _encrypted_pdf() -> UnsupportedMedia:
    return refuse(
        "PDF terenkripsi atau dilindungi kata sandi; unggah versi tanpa perlindungan.",
        "The PDF is encrypted or password-protected; upload an unprotected version.",
    )


def _damaged_pdf() -> UnsupportedMedia:
    return refuse(
        "PDF rusak dan tidak dapat dibaca; unggah ulang atau simpan ulang sebagai PDF.",
        "The PDF is damaged and cannot be read; upload it again or re-save it as PDF.",
    )


def _bomb_pdf(max_inflated_bytes: int) -> UnsupportedMedia:
    mb = max_inflated_bytes // (1024 * 1024)
    return refuse(
        f"Isi PDF mengembang melebihi {mb} MB saat dibuka (data terkompresi berlebihan); "
        "simpan ulang atau cetak ulang sebagai PDF.",
        f"The PDF's content inflates past {mb} MB when opened (excessively compressed data); "
        "re-save it or print it to a new PDF.",
    )
