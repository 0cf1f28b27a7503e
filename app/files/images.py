"""Checking an uploaded JPEG or PNG: its structure, its size in pixels, then a full decode.

Cheap checks come first and read no pixel: the chunk or marker structure up to the end marker
(nothing may follow it but padding, or the file is a polyglot such as a PNG with a ZIP
appended), and the dimensions from the header against the pixel cap. Only then is the image
decoded, inside a decode slot (``app.files.slots``), because that is what costs CPU and memory.
"""

from __future__ import annotations

import mmap
import re
import struct
import zlib
from pathlib import Path

from PIL import Image

from app.errors import UnsupportedMedia
from app.files.mediatypes import JPEG, LABELS, PADDING, PNG, refuse
from app.files.slots import CheckSlots

# Pillow format names per type; Pillow reports multi-picture phone photos as "MPO".
_PIL_FORMATS = {JPEG: ("JPEG", "MPO"), PNG: ("PNG",)}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG decoding at 1/8 scale still entropy-decodes every block of the file (so a corrupt
# bitstream is still found) but keeps 1/64 of the pixels in memory.
_JPEG_DRAFT_SCALE = 8


class _Damaged(Exception):
    """The structure walk found the file broken or cut off."""


class _Trailing(Exception):
    """Bytes other than padding follow the image's end marker."""


def check_image(
    path: Path, *, content_type: str, max_pixels: int, slots: CheckSlots, wait_seconds: float
) -> None:
    """Refuse (415) an image that is damaged, carries trailing data or has too many pixels;
    503 (UploadChecksBusy) when no slot for decoding it frees up within ``wait_seconds``."""
    label = LABELS[content_type]
    formats = _PIL_FORMATS[content_type]
    try:
        # formats= keeps Pillow to the one parser the magic bytes promised.
        with Image.open(path, formats=[formats[0]]) as image:
            _check_pixels(image.size, max_pixels=max_pixels)
            if image.format not in formats:
                raise _damaged_image(label)
            frames = getattr(image, "n_frames", 1) if image.format == "MPO" else 1
            _check_structure(path, content_type=content_type, frames=frames)
            image.verify()
        with slots.held(wait_seconds=wait_seconds):
            _decode(path, formats[0])
    except _Damaged:
        raise _damaged_image(label) from None
    except _Trailing:
        raise _trailing_data(label) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own global cap tripped while reading the header (a warning only becomes an
        # exception under -W error); either way the image is far too large.
        raise _too_many_pixels(max_pixels=max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        # Pillow reports broken files as any of these (verify() raises SyntaxError for PNG CRCs).
        raise _damaged_image(label) from None


def _check_pixels(size: tuple[int, int], *, max_pixels: int) -> None:
    # Checked on the header's dimensions, before any pixel is decoded.
    width, height = size
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels=max_pixels, size=size)


def _decode(path: Path, pil_format: str) -> None:
    with Image.open(path, formats=[pil_format]) as image:
        if pil_format == "JPEG":
            width, height = image.size
            image.draft(image.mode, (width // _JPEG_DRAFT_SCALE, height // _JPEG_DRAFT_SCALE))
        image.load()


# --- structure --------------------------------------------------------------------------------


def _check_structure(path: Path, *, content_type: str, frames: int) -> None:
    # Our own walk, not Pillow's: WeasyPrint (imported for certificates) sets Pillow's
    # process-wide LOAD_TRUNCATED_IMAGES, after which Pillow accepts cut-off files, and Pillow
    # never looks past the end marker.
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if content_type == PNG:
            end = _png_end(data)
        else:
            end = _jpeg_end(data, 0)
            # A multi-picture (MPO) photo is its pictures' JPEG streams one after another.
            for _ in range(frames - 1):
                end = _jpeg_end(data, _skip_padding(data, end))
        if data[end:].strip(PADDING):
            raise _Trailing


def _skip_padding(data: mmap.mmap, position: int) -> int:
    while position < len(data) and data[position] in PADDING:
        position += 1
    return position


def _png_end(data: mmap.mmap) -> int:
    """Offset just past the IEND chunk; every chunk's length and CRC checked on the way."""
    position = len(_PNG_SIGNATURE)
    while True:
        header = data[position : position + 8]
        if len(header) < 8:
            raise _Damaged
        length, kind = struct.unpack(">I4s", header)
        end = position + 12 + length
        if end > len(data):
            raise _Damaged
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[position + 4 : end - 4]) != crc:
            raise _Damaged
        if kind == b"IEND":
            return end
        position = end


# Inside entropy-coded data 0xFF is followed by a stuffed 0x00 or a restart marker (D0-D7);
# anything else is the next marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")
_SOI, _EOI, _SOS, _TEM = 0xD8, 0xD9, 0xDA, 0x01


def _jpeg_end(data: mmap.mmap, start: int) -> int:
    """Offset just past the EOI marker of the JPEG stream that starts at ``start``."""
    if data[start : start + 2] != b"\xff\xd8":
        raise _Damaged
    position = start + 2
    while True:
        if position + 2 > len(data) or data[position] != 0xFF:
            raise _Damaged
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == _EOI:
            return position + 2
        if marker in (_TEM, _SOI) or 0xD0 <= marker <= 0xD7:
            position += 2  # markers without a length
            continue
        if position + 4 > len(data):
            raise _Damaged
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
        if marker == _SOS:
            found = _NEXT_MARKER.search(data, position)
            if found is None:
                raise _Damaged
            position = found.start()


# --- messages ---------------------------------------------------------------------------------


def _too_many_pixels(*, max_pixels: int, size: tuple[int, int] | None = None) -> UnsupportedMedia:
    megapixels = f"{max_pixels / 1_000_000:g}"
    dims = f" ({size[0]} x {size[1]})" if size else ""
    return refuse(
        f"Gambar terlalu besar{dims}; batasnya {megapixels.replace('.', ',')} megapiksel. "
        "Perkecil resolusinya.",
        f"The image is too large{dims}; the limit is {megapixels} megapixels. "
        "Reduce its resolution.",
    )


def _damaged_image(label: str) -> UnsupportedMedia:
    return refuse(
        f"Gambar {label} rusak atau tidak lengkap; unggah ulang berkas aslinya.",
        f"The {label} image is damaged or incomplete; upload the original file again.",
    )


def _trailing_data(label: str) -> UnsupportedMedia:
    return refuse(
        f"Berkas {label} membawa data lain setelah akhir gambarnya (misalnya foto bergerak atau "
        "berkas yang ditempelkan); simpan ulang sebagai gambar biasa.",
        f"The {label} file carries other data after the end of its image (such as a motion "
        "photo or an appended file); save it again as a plain image.",
    )
