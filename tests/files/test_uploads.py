"""Upload checks: file names, streaming size limit, type sniffing, PDF/image parsing."""

from __future__ import annotations

import hashlib
import io
import struct
import unicodedata
import zlib
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageFile

from app.errors import PayloadTooLarge, UnsupportedMedia
from app.files.uploads import (
    ACCEPTED_TYPES,
    CheckLimits,
    copy_limited,
    inspect_file,
    sanitize_filename,
    sniff_type,
)

MAX_PIXELS = 40_000_000
LIMITS = CheckLimits(max_pixels=MAX_PIXELS)
ALL = ACCEPTED_TYPES
PDF_ONLY = {"application/pdf"}


# --- file factories ---------------------------------------------------------------------------


def pdf_bytes(customise=None, **save_options) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    if customise:
        customise(pdf)
    out = io.BytesIO()
    pdf.save(out, **save_options)
    return out.getvalue()


def image_bytes(fmt: str, size: tuple[int, int] = (32, 24), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color=0).save(out, format=fmt)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of width x height, all black, built row by row (a few dozen KB)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path: Path, accepted=ALL, max_pixels: int = MAX_PIXELS) -> UnsupportedMedia:
    with pytest.raises(UnsupportedMedia) as caught:
        inspect_file(path, accepted_types=accepted, limits=CheckLimits(max_pixels=max_pixels))
    assert caught.value.status == 415
    assert caught.value.detail is not None
    return caught.value


# --- accepted files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.pdf", pdf_bytes(), "application/pdf"),
        ("a.jpg", image_bytes("JPEG"), "image/jpeg"),
        ("a.png", image_bytes("PNG"), "image/png"),
        ("a.png", image_bytes("PNG", mode="1"), "image/png"),
    ],
)
def test_valid_files_are_accepted_with_their_type(tmp_path, name, data, expected):
    path = write(tmp_path, name, data)
    assert inspect_file(path, accepted_types=ALL, limits=LIMITS) == expected


def test_jpeg_named_file_holding_png_bytes_is_png(tmp_path):
    path = write(tmp_path, "photo.jpg", image_bytes("PNG"))
    assert inspect_file(path, accepted_types=ALL, limits=LIMITS) == "image/png"


def test_png_bytes_named_jpg_refused_when_only_jpeg_accepted(tmp_path):
    error = refused(write(tmp_path, "photo.jpg", image_bytes("PNG")), accepted={"image/jpeg"})
    assert "PNG" in error.detail.en and "only JPEG" in error.detail.en


def test_pdf_with_page_destination_open_action_is_accepted(tmp_path):
    # LibreOffice writes /OpenAction [page /XYZ ...]: a jump to page 1, not an action.
    def customise(pdf):
        pdf.Root.OpenAction = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])

    path = write(tmp_path, "lo.pdf", pdf_bytes(customise))
    assert inspect_file(path, accepted_types=PDF_ONLY, limits=LIMITS) == "application/pdf"


def test_pdf_with_web_link_is_accepted(tmp_path):
    def customise(pdf):
        link = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[0, 0, 10, 10],
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org")),
        )
        pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([link]))

    path = write(tmp_path, "link.pdf", pdf_bytes(customise))
    assert inspect_file(path, accepted_types=ALL, limits=LIMITS) == "application/pdf"


# --- type refusals ----------------------------------------------------------------------------


def test_text_file_renamed_pdf_is_refused(tmp_path):
    error = refused(write(tmp_path, "surat.pdf", b"Ini bukan PDF, hanya teks.\n"))
    assert "unrecognised" in error.detail.en
    assert "PDF, JPEG, PNG" in error.detail.en and "PDF, JPEG, PNG" in error.detail.id


def test_png_refused_when_only_pdf_accepted(tmp_path):
    error = refused(write(tmp_path, "scan.pdf", image_bytes("PNG")), accepted=PDF_ONLY)
    assert error.detail.en == "The file content is PNG, but this service accepts only PDF."
    assert "PNG" in error.detail.id and "PDF" in error.detail.id


def test_known_other_type_is_named(tmp_path):
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    error = refused(write(tmp_path, "IMG_0001.jpg", heic))
    assert "HEIC" in error.detail.en and "HEIC" in error.detail.id


def test_empty_file_is_refused(tmp_path):
    assert "empty" in refused(write(tmp_path, "a.pdf", b"")).detail.en


def test_pdf_with_leading_junk_is_refused(tmp_path):
    # Readers tolerate junk before %PDF-; we do not, as that is how polyglots are built.
    refused(write(tmp_path, "a.pdf", b"GIF89a" + pdf_bytes()))


def test_accepted_types_outside_allow_list_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError):
        inspect_file(
            write(tmp_path, "a.pdf", pdf_bytes()), accepted_types={"text/html"}, limits=LIMITS
        )


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b" %PDF-1.7", None),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_sniff_type(head, expected):
    assert sniff_type(head) == expected


# --- PDF refusals -----------------------------------------------------------------------------


def _js_open_action(pdf):
    pdf.Root.OpenAction = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    )


def _uri_open_action(pdf):
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("http://x"))


def _document_javascript(pdf):
    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    tree = pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("s"), script]))
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=tree)


def _page_additional_action(pdf):
    pdf.pages[0].AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.Named, N=pikepdf.Name.NextPage)
    )


def _launch_link(pdf):
    action = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, A=action)
    pdf.pages[0].Annots = pikepdf.Array([link])


def _xfa_form(pdf):
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[], XFA=pdf.make_stream(b"<xdp/>"))


def _embedded_file(pdf):
    pdf.attachments["invoice.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ...", filename="a.exe")


@pytest.mark.parametrize(
    ("customise", "save_options", "named"),
    [
        (_js_open_action, {}, "/JS, /JavaScript, /OpenAction"),
        (
            _js_open_action,
            {"object_stream_mode": pikepdf.ObjectStreamMode.generate},
            "/JS, /JavaScript, /OpenAction",
        ),
        (_uri_open_action, {}, "/OpenAction"),
        (_document_javascript, {}, "/JS, /JavaScript"),
        (_page_additional_action, {}, "/AA"),
        (_launch_link, {}, "/Launch"),
        (_xfa_form, {}, "/XFA"),
        (_embedded_file, {}, "/EF, /EmbeddedFile, /EmbeddedFiles"),
    ],
)
def test_pdf_with_active_content_is_refused(tmp_path, customise, save_options, named):
    error = refused(write(tmp_path, "a.pdf", pdf_bytes(customise, **save_options)))
    assert "active content" in error.detail.en and "konten aktif" in error.detail.id
    assert f"({named});" in error.detail.en


@pytest.mark.parametrize("keep", [0.5, 0.9, -8])
def test_truncated_pdf_is_refused(tmp_path, keep):
    data = pdf_bytes()
    cut = int(len(data) * keep) if keep > 0 else len(data) + keep
    error = refused(write(tmp_path, "a.pdf", data[:cut]))
    assert "incomplete" in error.detail.en


def test_unparseable_pdf_is_refused_as_damaged(tmp_path):
    error = refused(write(tmp_path, "a.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50 + b"\n%%EOF\n"))
    assert "damaged" in error.detail.en


@pytest.mark.parametrize("user_password", ["", "rahasia"])
def test_encrypted_pdf_is_refused(tmp_path, user_password):
    encryption = pikepdf.Encryption(owner="pemilik", user=user_password)
    error = refused(write(tmp_path, "a.pdf", pdf_bytes(encryption=encryption)))
    assert "encrypted" in error.detail.en


# --- image refusals ---------------------------------------------------------------------------


def test_decompression_bomb_png_is_refused_without_decoding(tmp_path, monkeypatch):
    data = bomb_png(20_000, 20_000)
    assert len(data) < 200_000  # 400 megapixels in a tiny file
    monkeypatch.setattr(ImageFile.ImageFile, "load", _must_not_decode)
    error = refused(write(tmp_path, "bomb.png", data))
    assert "40 megapixels" in error.detail.en and "40 megapiksel" in error.detail.id


def test_pixel_cap_applies_below_pillows_own_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(ImageFile.ImageFile, "load", _must_not_decode)
    path = write(tmp_path, "big.png", image_bytes("PNG", size=(300, 200), mode="1"))
    error = refused(path, max_pixels=50_000)
    assert "(300 x 200)" in error.detail.en and "0.05 megapixels" in error.detail.en


def _must_not_decode(self):
    raise AssertionError("pixels were decoded")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_image_is_refused(tmp_path, fmt):
    data = image_bytes(fmt, size=(256, 256))
    error = refused(write(tmp_path, "a.img", data[: len(data) // 2]))
    assert f"{fmt} image is damaged" in error.detail.en


def test_png_with_bad_checksum_is_refused(tmp_path):
    data = bytearray(image_bytes("PNG"))
    data[29] ^= 0xFF  # inside the IHDR chunk's CRC
    refused(write(tmp_path, "a.png", bytes(data)))


# --- copy_limited -----------------------------------------------------------------------------


class CountingReader(io.RawIOBase):
    """An endless source that remembers how many bytes were asked for."""

    def __init__(self) -> None:
        self.served = 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "copy_limited must read in bounded chunks"
        self.served += size
        return b"x" * size


def test_copy_limited_accepts_exactly_max_bytes_and_hashes():
    data = bytes(range(256)) * 1000
    destination = io.BytesIO()
    copied = copy_limited(io.BytesIO(data), destination, max_bytes=len(data), chunk_size=1000)
    assert copied.size == len(data)
    assert copied.sha256 == hashlib.sha256(data).hexdigest()
    assert destination.getvalue() == data


def test_copy_limited_refuses_one_byte_over():
    data = b"a" * 1001
    with pytest.raises(PayloadTooLarge) as caught:
        copy_limited(io.BytesIO(data), io.BytesIO(), max_bytes=1000, chunk_size=64)
    assert caught.value.status == 413


def test_copy_limited_stops_reading_a_huge_source():
    source = CountingReader()
    limit = 5 * 1024 * 1024
    with pytest.raises(PayloadTooLarge) as caught:
        copy_limited(source, io.BytesIO(), max_bytes=limit)
    assert source.served == limit + 1
    assert "5 MB" in caught.value.detail.en and "5 MB" in caught.value.detail.id


def test_copy_limited_reports_fractional_megabytes():
    with pytest.raises(PayloadTooLarge) as caught:
        copy_limited(io.BytesIO(b"x" * 600_000), io.BytesIO(), max_bytes=512 * 1024)
    assert "0.5 MB" in caught.value.detail.en and "0,5 MB" in caught.value.detail.id


# --- sanitize_filename ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\y.pdf", "y.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("", "dokumen"),
        (None, "dokumen"),
        ("..", "dokumen"),
        ("dir/", "dokumen"),
        (".htaccess", "htaccess"),
        ("Surat Pengantar RT–RW.pdf", "Surat Pengantar RT–RW.pdf"),
        ("KTP <asli>;rm -rf.pdf", "KTP _asli_rm -rf.pdf"),
        ("a   b___c..pdf", "a b_c.pdf"),
        ("tagihan\u202efdp.exe", "tagihanfdp.exe"),  # right-to-left override dropped
        ("laporan.pdf. ", "laporan.pdf"),
        ("line\r\nbreak.pdf", "linebreak.pdf"),
    ],
)
def test_sanitize_filename(raw, clean):
    assert sanitize_filename(raw) == clean


def test_sanitize_filename_normalises_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Akta Kelahiran José.pdf")
    assert sanitize_filename(decomposed) == unicodedata.normalize("NFC", "Akta Kelahiran José.pdf")


def test_sanitize_filename_caps_length_and_keeps_extension():
    clean = sanitize_filename("surat " * 100 + ".pdf")
    assert len(clean) <= 120 and clean.endswith(".pdf")
    assert len(sanitize_filename("x" * 500)) == 120
