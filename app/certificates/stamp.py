"""What the fast path writes into the signing revision of a cached static page (``fastpath``).

One content stream (the certificate's text, positioned as WeasyPrint would, and the QR code as
filled rectangles), the facts as the PDF/A-3 associated file ``certificate.json``, the title
and issue time in the Info dictionary and XMP (pyHanko writes both, with its own producer,
which ``signing`` copies into Info), and a file identifier of this certificate's own. All of it
is covered by the signature: nothing is appended after signing.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import segno
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from app.certificates.fonts import Face, Shaped
from app.certificates.qr import BORDER, ERROR_LEVEL
from app.certificates.textlayout import Line, Style

PT_PER_PX = 0.75  # WeasyPrint lays out in CSS px and writes PDF points


@dataclass(frozen=True)
class PlacedLine:
    """A line of stamped text: its left edge and baseline in CSS px from the page's top left."""

    line: Line
    x: float
    baseline: float


def content_stream(
    lines: Iterable[PlacedLine],
    *,
    styles: Mapping[int, Style],
    font_names: dict[Face, str],
    page_height: float,
    qr: tuple[str, list[tuple[float, float, float]]] | None,
) -> bytes:
    """PDF operators for the text (and the QR code), in default user space (points)."""
    out: list[str] = ["BT"]
    current: tuple[object, ...] = ()
    for placed in lines:
        x = placed.x
        y = page_height - placed.baseline * PT_PER_PX
        for piece in placed.line.pieces:
            style = styles[piece.index]
            state = (style.face, style.size, style.color, style.letter_spacing)
            if state != current:
                out.append(f"/{font_names[style.face]} {_num(style.size * PT_PER_PX)} Tf")
                out.append("{} {} {} rg".format(*(_num(c) for c in style.color)))
                out.append(f"{_num(style.letter_spacing * PT_PER_PX)} Tc")
                current = state
            out.append(f"1 0 0 1 {_num(x * PT_PER_PX)} {_num(y)} Tm")
            out.append(f"[{_glyph_array(piece.shaped, style.face)}] TJ")
            x += piece.width
    out.append("ET")
    if qr is not None:
        data, boxes = qr
        out.append(_qr_operators(data, boxes, page_height))
    return "\n".join(out).encode("ascii")


def _glyph_array(shaped: Shaped, face: Face) -> str:
    """A TJ array: two-byte glyph ids (CIDs), kerning as negative thousandths of an em."""
    parts = []
    scale = 1000 / face.upm
    run: list[str] = []
    for glyph, kern in zip(shaped.glyphs, shaped.kerns, strict=True):
        if kern and run:
            parts.append(f"<{''.join(run)}>")
            run = []
            parts.append(_num(-kern * scale))
        run.append(f"{glyph:04X}")
    if run:
        parts.append(f"<{''.join(run)}>")
    return "".join(parts)


def _qr_operators(data: str, boxes: list[tuple[float, float, float]], page_height: float) -> str:
    """The QR code of ``data`` as black rectangles, one per run of dark modules in a row."""
    matrix = segno.make(data, error=ERROR_LEVEL, micro=False).matrix
    modules = len(matrix) + 2 * BORDER
    out = ["0 0 0 rg"]
    for left, top, size in boxes:
        step = size * PT_PER_PX / modules
        x0 = left * PT_PER_PX + BORDER * step
        y0 = page_height - top * PT_PER_PX - BORDER * step
        for row_number, row in enumerate(matrix):
            y = y0 - (row_number + 1) * step
            start = None
            for column, dark in enumerate((*row, 0)):
                if dark and start is None:
                    start = column
                elif not dark and start is not None:
                    out.append(
                        f"{_num(x0 + start * step)} {_num(y)} {_num((column - start) * step)} "
                        f"{_num(step)} re"
                    )
                    start = None
        out.append("f")  # one fill for the whole path: no seams between the modules
    return "\n".join(out)


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _pdf_date(moment: datetime) -> str:
    return moment.strftime("D:%Y%m%d%H%M%SZ")


def revision(
    *,
    content: bytes,
    attachment: bytes,
    description: str,
    attachment_name: str,
    title: str,
    issued_at: datetime,
) -> Callable[[IncrementalPdfFileWriter], None]:
    """The edit ``DocumentSigner.sign`` makes inside the signing revision (``issued_at`` UTC)."""

    def edit(writer: IncrementalPdfFileWriter) -> None:
        _append_content(writer, content)
        _attach(writer, attachment, name=attachment_name, description=description, at=issued_at)
        meta = writer.document_meta
        meta.title = title
        meta.created = issued_at
        # pyHanko keeps the static page's permanent identifier (it is the same for every
        # certificate cut from one static page): give this certificate its own.
        first = hashlib.sha256(b"loket-certificate\x00" + attachment).digest()[:16]
        writer._document_id = generic.ArrayObject(
            [generic.ByteStringObject(first), generic.ByteStringObject(os.urandom(16))]
        )

    return edit


def _append_content(writer: IncrementalPdfFileWriter, content: bytes) -> None:
    page = writer.root["/Pages"]["/Kids"][0]
    stream = generic.StreamObject(stream_data=content)
    stream.compress()
    contents = page.raw_get("/Contents")
    if isinstance(contents, generic.IndirectObject):
        resolved = contents.get_object()
        existing = list(resolved) if isinstance(resolved, generic.ArrayObject) else [contents]
    else:
        existing = list(contents)
    page["/Contents"] = generic.ArrayObject([*existing, writer.add_object(stream)])
    writer.update_container(page)


def _attach(
    writer: IncrementalPdfFileWriter, data: bytes, *, name: str, description: str, at: datetime
) -> None:
    """``data`` as the document's one associated file (PDF/A-3, relationship Data)."""
    date = generic.TextStringObject(_pdf_date(at))
    embedded = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/EmbeddedFile"),
            pdf_name("/Filter"): pdf_name("/FlateDecode"),
            pdf_name("/Subtype"): pdf_name("/application/json"),
            pdf_name("/Params"): generic.DictionaryObject(
                {
                    pdf_name("/Size"): generic.NumberObject(len(data)),
                    pdf_name("/CheckSum"): generic.ByteStringObject(hashlib.md5(data).digest()),
                    pdf_name("/CreationDate"): date,
                    pdf_name("/ModDate"): date,
                }
            ),
        },
        encoded_data=zlib.compress(data),
    )
    spec = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Filespec"),
                pdf_name("/F"): generic.TextStringObject(name),
                pdf_name("/UF"): generic.TextStringObject(name),
                pdf_name("/Desc"): generic.TextStringObject(description),
                pdf_name("/AFRelationship"): pdf_name("/Data"),
                pdf_name("/EF"): generic.DictionaryObject(
                    {pdf_name("/F"): writer.add_object(embedded)}
                ),
            }
        )
    )
    root = writer.root
    names = generic.DictionaryObject(dict(root["/Names"].items()) if "/Names" in root else {})
    names[pdf_name("/EmbeddedFiles")] = generic.DictionaryObject(
        {pdf_name("/Names"): generic.ArrayObject([generic.TextStringObject(name), spec])}
    )
    root[pdf_name("/Names")] = names
    root[pdf_name("/AF")] = generic.ArrayObject([spec])
    writer.update_root()
