"""Photos stored without their metadata: re-encoded from their pixels, so that EXIF (with the
phone's GPS position, its serial number and the time), XMP, IPTC, ICC profiles and PNG text
chunks never reach the file store. The orientation EXIF asked for is applied to the pixels
first, so the photo still looks the way it was taken. The original bytes are never kept."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from app.files.mediatypes import JPEG, PNG

_JPEG_QUALITY = 90


def without_metadata(path: Path, *, content_type: str) -> bytes:
    """The image at ``path`` (already checked by ``inspect_file``) re-encoded bare."""
    with Image.open(path) as original:
        upright = ImageOps.exif_transpose(original)
        pixels = upright if upright is not None else original
        if content_type == JPEG:
            bare = pixels.convert("RGB") if pixels.mode not in ("RGB", "L") else pixels.copy()
        elif content_type == PNG:
            keep = ("RGB", "RGBA", "L", "LA", "P", "1", "I", "I;16")
            bare = pixels.copy() if pixels.mode in keep else pixels.convert("RGBA")
        else:
            raise ValueError(f"not a photo type: {content_type}")
    # A fresh info dict: Pillow writes what it holds there (exif, icc_profile, dpi, text).
    bare.info = {}
    out = io.BytesIO()
    if content_type == JPEG:
        bare.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    else:
        bare.save(out, format="PNG", optimize=True)
    return out.getvalue()
