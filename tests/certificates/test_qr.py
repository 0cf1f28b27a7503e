"""QR codes: PNG bytes and data URIs that decode back to the data they carry."""

from __future__ import annotations

import base64
import io

import pytest
import zxingcpp
from PIL import Image

from app.certificates.qr import qr_data_uri, qr_png

URL = (
    "https://perizinan.jakarta.go.id/verify/Zk3xQ9_aLm2VbR7tYc0pWe4sHn1?t="
    + "eyJhbGciOiJFUzI1NiJ9.ab-_" * 12
)


def _decode(png: bytes) -> list[str]:
    with Image.open(io.BytesIO(png)) as image:
        return [found.text for found in zxingcpp.read_barcodes(image)]


def test_qr_png_is_a_png_that_decodes_back() -> None:
    png = qr_png(URL)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert _decode(png) == [URL]


def test_scale_sets_pixels_per_module_with_a_four_module_quiet_zone() -> None:
    with Image.open(io.BytesIO(qr_png("hello", scale=1))) as small:
        width = small.width
    with Image.open(io.BytesIO(qr_png("hello", scale=5))) as large:
        assert large.width == 5 * width
    # Version 1 is 21 modules, plus a 4-module quiet zone on each side.
    assert width == 21 + 2 * 4


def test_error_correction_is_at_least_m() -> None:
    png = qr_png(URL)
    with Image.open(io.BytesIO(png)) as image:
        (found,) = zxingcpp.read_barcodes(image)
    assert found.ec_level in {"M", "Q", "H"}


def test_scale_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        qr_png(URL, scale=0)


def test_data_uri_carries_the_png() -> None:
    uri = qr_data_uri(URL)
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    assert _decode(base64.b64decode(uri.removeprefix(prefix))) == [URL]


def test_same_data_gives_the_same_image() -> None:
    assert qr_data_uri(URL) == qr_data_uri(URL)
