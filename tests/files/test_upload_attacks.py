"""Hostile uploads (issue 11, items 4 and 7): each attack first, then the good files it must not
catch. Polyglots (data after the image's end), decompression bombs, cut-off PDFs whose end was
re-added, and images whose decoding would cost more than the server lets one upload spend."""

from __future__ import annotations

import io
import re
import struct
import tracemalloc
import zipfile
import zlib

import pikepdf
import pytest

from app.errors import UnsupportedMedia
from app.files.slots import CheckSlots, UploadChecksBusy
from app.files.uploads import CheckLimits, inspect_file
from tests.files.test_uploads import ALL, bomb_png, image_bytes, pdf_bytes, write

PDF_ONLY = {"application/pdf"}


def refused(path, limits: CheckLimits | None = None) -> str:
    with pytest.raises(UnsupportedMedia) as caught:
        inspect_file(path, accepted_types=ALL, limits=limits or CheckLimits())
    assert caught.value.status == 415
    return caught.value.detail.en


def accepted(path, limits: CheckLimits | None = None) -> str:
    return inspect_file(path, accepted_types=ALL, limits=limits or CheckLimits())


def zip_bytes(comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
        archive.comment = comment
    return out.getvalue()


# --- item 7: data after the end of an image ---------------------------------------------------


def test_png_with_a_zip_appended_is_refused(tmp_path):
    # The ZIP's comment repeats the PNG's last chunk, so that the file ends as a PNG does: a
    # look at the last bytes alone (main before issue 11) took it for a complete PNG.
    polyglot = image_bytes("PNG") + zip_bytes(comment=b"IEND\xaeB`\x82")
    assert zipfile.ZipFile(io.BytesIO(polyglot)).namelist() == ["payload.html"]
    detail = refused(write(tmp_path, "a.png", polyglot))
    assert "after the end of its image" in detail


def test_jpeg_with_data_after_eoi_is_refused(tmp_path):
    polyglot = image_bytes("JPEG") + zip_bytes(comment=b"\xff\xd9")
    detail = refused(write(tmp_path, "a.jpg", polyglot))
    assert "after the end of its image" in detail


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_images_padded_after_their_end_are_accepted(tmp_path, fmt):
    path = write(tmp_path, "a.img", image_bytes(fmt) + b"\x00" * 64 + b"\r\n")
    assert accepted(path) == f"image/{fmt.lower()}"


def test_progressive_jpeg_with_exif_thumbnail_is_accepted(tmp_path):
    from PIL import Image

    thumbnail = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(thumbnail, format="JPEG")
    exif = Image.Exif()
    exif[0x010E] = "KTP"  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(
        out, format="JPEG", progressive=True, exif=exif.tobytes()
    )
    assert accepted(write(tmp_path, "a.jpg", out.getvalue())) == "image/jpeg"


def test_png_with_a_bad_chunk_crc_is_refused(tmp_path):
    data = bytearray(image_bytes("PNG"))
    data[data.index(b"IDAT") + 6] ^= 0xFF
    assert "damaged" in refused(write(tmp_path, "a.png", bytes(data)))


# --- item 4: pixels, and the bounded number of decodes ----------------------------------------


def test_oversized_png_is_refused_by_the_cap_without_decoding(tmp_path):
    # 6300 x 6300 is 39.7 MP: under the old 40 MP cap, over the new 25 MP default. Every decode
    # slot is held, so a check that decoded would answer 503: the cap answers from the header.
    slots = CheckSlots(1)
    path = write(tmp_path, "big.png", bomb_png(6300, 6300))
    with slots.held(wait_seconds=0):
        detail = refused(path, CheckLimits(slots=slots, wait_seconds=0))
    assert "(6300 x 6300)" in detail and "25 megapixels" in detail


def test_decoding_waits_for_a_slot_then_refuses_with_503(tmp_path):
    slots = CheckSlots(2)
    limits = CheckLimits(slots=slots, wait_seconds=0)
    path = write(tmp_path, "a.png", image_bytes("PNG"))
    with (
        slots.held(wait_seconds=0),
        slots.held(wait_seconds=0),
        pytest.raises(UploadChecksBusy) as caught,
    ):
        accepted(path, limits)
    assert caught.value.status == 503 and caught.value.headers == {"Retry-After": "1"}
    assert accepted(path, limits) == "image/png"  # once a slot is free


# --- item 7: decompression bombs --------------------------------------------------------------


def flate_repeated(head: bytes, block: bytes, count: int) -> bytes:
    """zlib data of ``head`` then ``count`` copies of ``block``, built in a second or two: after
    a full flush every copy compresses to the same bytes, so one is compressed and repeated."""
    compressor = zlib.compressobj(9)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    copy = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = zlib.adler32(head)
    for _ in range(count):
        checksum = zlib.adler32(block, checksum)
    # b"\x03\x00" is an empty final block; the Adler-32 of everything ends the zlib stream.
    return start + copy * count + b"\x03\x00" + struct.pack(">I", checksum)


def flate_of_zeros(n_mib: int) -> bytes:
    return flate_repeated(b"", bytes(1024 * 1024), n_mib)


def pdf_with_stream(raw: bytes, **keys) -> bytes:
    def customise(pdf):
        stream = pikepdf.Stream(pdf, b"")
        stream.write(raw, filter=pikepdf.Name.FlateDecode)
        for key, value in keys.items():
            stream[f"/{key}"] = value
        pdf.Root.Payload = pdf.make_indirect(stream)

    return pdf_bytes(customise)


def test_pdf_with_a_stream_inflating_to_1_gib_is_refused_without_holding_it(tmp_path):
    path = write(tmp_path, "bomb.pdf", pdf_with_stream(flate_of_zeros(1024)))
    assert path.stat().st_size < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        detail = refused(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "inflates past 256 MB" in detail
    assert peak < 16 * 1024 * 1024  # chunks, never the 256 MB the budget allowed


def test_pdf_with_a_bomb_behind_two_flate_filters_is_refused(tmp_path):
    inner = flate_of_zeros(64)
    outer = zlib.compress(inner)

    def customise(pdf):
        stream = pikepdf.Stream(pdf, b"")
        stream.write(outer, filter=[pikepdf.Name.FlateDecode, pikepdf.Name.FlateDecode])
        pdf.Root.Payload = pdf.make_indirect(stream)

    path = write(tmp_path, "bomb.pdf", pdf_bytes(customise))
    assert "inflates past 32 MB" in refused(path, CheckLimits(max_pdf_inflated_bytes=32 << 20))


def object_stream_content() -> tuple[bytes, bytes]:
    """The header (numbers and offsets) and objects of a catalog, its pages and one page."""
    bodies = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
    bodies.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << >> >>")
    header, offset = b"", 0
    for number, body in enumerate(bodies, start=1):
        header += b"%d %d " % (number, offset)
        offset += len(body) + 1
    return header, b"\n".join(bodies) + b"\n"


OBJECT_STREAM_CONTENT = object_stream_content()


def handmade_pdf_with_object_stream(objstm_data: bytes = b"") -> bytes:
    """Catalog, pages and page inside one Flate object stream, found through an xref stream."""
    header, objects = OBJECT_STREAM_CONTENT
    compressed = objstm_data or zlib.compress(header + objects)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    objstm_at = len(out)
    out += b"4 0 obj\n<< /Type /ObjStm /N 3 /First %d /Length %d /Filter /FlateDecode >>\n" % (
        len(header),
        len(compressed),
    )
    out += b"stream\n" + compressed + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = b"\x00\x00\x00\x00\x00\xff\xff"  # object 0: free
    rows += b"".join(b"\x02" + (4).to_bytes(4, "big") + i.to_bytes(2, "big") for i in range(3))
    rows += b"\x01" + objstm_at.to_bytes(4, "big") + b"\x00\x00"
    rows += b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00"
    out += b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\n" % len(rows)
    out += b"stream\n" + rows + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def test_handmade_object_stream_pdf_is_accepted(tmp_path):
    assert accepted(write(tmp_path, "ok.pdf", handmade_pdf_with_object_stream())) == (
        "application/pdf"
    )


def test_pdf_whose_object_stream_inflates_hugely_is_refused(tmp_path):
    # 512 MiB of spaces after the objects are valid PDF, and qpdf would inflate all of it in
    # memory as soon as it reads the catalog: the object stream's own 16 MiB cap stops it.
    header, objects = OBJECT_STREAM_CONTENT
    data = flate_repeated(header + objects, b" " * (1024 * 1024), 512)
    path = write(tmp_path, "objstm.pdf", handmade_pdf_with_object_stream(data))
    assert "inflates past" in refused(path)


# --- item 7: cut-off PDFs with their end re-added ---------------------------------------------


def multi_object_pdf() -> bytes:
    def customise(pdf):
        for i in range(20):
            pdf.Root[f"/Note{i}"] = pdf.make_indirect(pikepdf.String(f"catatan {i} " * 20))

    return pdf_bytes(customise)


def test_truncated_pdf_with_eof_re_added_is_refused(tmp_path):
    data = multi_object_pdf()
    cut = data[: len(data) * 2 // 3] + b"\n%%EOF\n"
    assert "damaged" in refused(write(tmp_path, "cut.pdf", cut))


def test_truncated_pdf_with_its_old_xref_and_trailer_re_added_is_refused(tmp_path):
    # What qpdf only warns about and opens: the original tail (xref, trailer, startxref) put
    # back after a cut in the middle of the objects, so the offsets point past the end or at
    # the wrong bytes.
    data = multi_object_pdf()
    xref_at = data.rindex(b"\nxref") + 1
    cut = data[: xref_at // 2] + data[xref_at:]
    assert "damaged" in refused(write(tmp_path, "cut.pdf", cut))


def test_pdf_with_an_offset_pointing_at_the_wrong_object_is_refused(tmp_path):
    data = bytearray(multi_object_pdf())
    entries = re.search(rb"xref\n0 \d+\n(.*?)trailer", bytes(data), re.S)
    first = entries.start(1) + 20  # object 1's entry
    data[first : first + 10] = b"%010d" % (int(data[first : first + 10]) + 1)
    assert "damaged" in refused(write(tmp_path, "off.pdf", bytes(data)))


def test_pdf_with_data_after_eof_is_refused(tmp_path):
    assert "damaged" in refused(write(tmp_path, "a.pdf", pdf_bytes() + zip_bytes()))


# --- good PDFs still pass ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"object_stream_mode": pikepdf.ObjectStreamMode.generate},
        {"object_stream_mode": pikepdf.ObjectStreamMode.generate, "linearize": True},
        {"linearize": True},
        {"qdf": True},
    ],
)
def test_pdfs_as_qpdf_writes_them_are_accepted(tmp_path, options):
    data = pdf_bytes(None, **options)
    if options.get("object_stream_mode"):
        assert b"/ObjStm" in data and b"/XRef" in data
    assert (
        inspect_file(write(tmp_path, "a.pdf", data), accepted_types=PDF_ONLY, limits=CheckLimits())
        == "application/pdf"
    )


def test_incrementally_updated_pdf_is_accepted(tmp_path):
    original = multi_object_pdf()
    # An update appended by hand, the way pyHanko signs: a new object, a table, /Prev.
    xref_at = int(re.findall(rb"startxref\s+(\d+)", original)[-1])
    size = int(re.search(rb"/Size (\d+)", original).group(1))
    root = re.search(rb"/Root (\d+ \d+ R)", original).group(1)
    update_at = len(original)
    update = b"%d 0 obj\n(tambahan)\nendobj\n" % size
    table_at = update_at + len(update)
    update += b"xref\n%d 1\n%010d 00000 n \n" % (size, update_at)
    update += b"trailer\n<< /Size %d /Root %s /Prev %d >>\n" % (size + 1, root, xref_at)
    update += b"startxref\n%d\n%%%%EOF\n" % table_at
    assert accepted(write(tmp_path, "updated.pdf", original + update)) == "application/pdf"
