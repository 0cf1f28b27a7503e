"""QR codes for certificates, as PNG: WeasyPrint paints a PNG far faster than an inline SVG."""

from __future__ import annotations

import base64
import io

import segno

# "M" recovers ~15% damage (a fold, a stamp over a corner); segno raises it for free when the
# data still fits the same symbol version.
ERROR_LEVEL = "m"
# The quiet zone the QR specification asks for; scanners miss codes that touch other ink.
BORDER = 4


def qr_png(data: str, *, scale: int = 4) -> bytes:
    """A QR code for `data` as a 1-bit PNG, `scale` pixels per module."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    # micro=False: Micro QR codes are not read by most phone cameras.
    code = segno.make(data, error=ERROR_LEVEL, micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()


def qr_data_uri(data: str) -> str:
    """A QR code for `data` as a `data:image/png;base64,...` URI for an <img> tag."""
    # Four pixels per module, not one: rasterisers that shrink the page (pdftoppm, viewers at low
    # zoom) then average the pixels and still decode at 90-100 dpi, where one pixel per module
    # failed for long URLs. It costs ~2 KB and ~10 ms per render.
    encoded = base64.b64encode(qr_png(data)).decode("ascii")
    return f"data:image/png;base64,{encoded}"
