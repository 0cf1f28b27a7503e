"""Checking uploaded documents: size limit, file-name hygiene, type by content, full parse.

The service streams an upload into a temporary file with ``copy_limited``, then calls
``inspect_file``; only a file that passes both is committed to the file store. Nothing here trusts
the client's file name or Content-Type header.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pikepdf
from PIL import Image

from app.errors import Msg, PayloadTooLarge, UnsupportedMedia

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

ACCEPTED_TYPES = frozenset({PDF, JPEG, PNG})  # the allow-list a service may pick from

# Display order and human names for messages.
_LABELS = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}
# Pillow format names per type; Pillow reports multi-picture phone photos as "MPO".
_PIL_FORMATS = {JPEG: ("JPEG", "MPO"), PNG: ("PNG",)}

_HEAD_BYTES = 16
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Types we recognise only to name them in the refusal ("this is a HEIC photo"), never accept.
_OTHER_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"PK\x03\x04", "ZIP/Office (DOCX, XLSX)"),
    (0, b"\xd0\xcf\x11\xe0", "Office 97-2003 (DOC, XLS)"),
    (0, b"GIF8", "GIF"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (8, b"WEBP", "WebP"),
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"),
)

MAX_NAME_CHARS = 120
_MAX_EXTENSION_CHARS = 10
_DEFAULT_NAME = "dokumen"
_SAFE_PUNCTUATION = frozenset(" ._-()")


@dataclass(frozen=True)
class CopiedFile:
    """What ``copy_limited`` learned while streaming: byte count and SHA-256 (hex)."""

    size: int
    sha256: str


@dataclass(frozen=True)
class InspectedFile:
    """A stored upload's verified facts: content type from the bytes, size, SHA-256 (hex)."""

    content_type: str
    size: int
    sha256: str


# --- file names -------------------------------------------------------------------------------


def format_mb(n_bytes: int) -> str:
    """Bytes as MB (MiB) for messages: "20", "0.5", "1.25"; tiny test limits keep more digits."""
    mb = n_bytes / (1024 * 1024)
    for digits in (2, 6):
        text = f"{mb:.{digits}f}".rstrip("0").rstrip(".")
        if text != "0" or n_bytes == 0:
            break
    return text


def sanitize_filename(name: str | None) -> str:
    """Return a safe display name for an uploaded file; never used as a storage path."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    # Cc covers NUL and control characters; Cf covers bidi overrides that disguise extensions.
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf"))
    base = "".join(ch if _is_safe_char(ch) else "_" for ch in base)
    base = re.sub(r"([ ._-])\1+", r"\1", base)
    # Leading dots make hidden files and ".."; trailing dots/spaces are stripped by Windows.
    base = base.strip(" ").lstrip(".").rstrip(". ")
    return _cap_length(base) or _DEFAULT_NAME


def _is_safe_char(ch: str) -> bool:
    # Letters, combining marks and digits of any script, plus dashes, so Indonesian and
    # accented names survive; everything else (quotes, slashes, ;, <, >) becomes "_".
    category = unicodedata.category(ch)
    return ch in _SAFE_PUNCTUATION or category[0] in "LMN" or category == "Pd"


def _cap_length(name: str) -> str:
    if len(name) <= MAX_NAME_CHARS:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > _MAX_EXTENSION_CHARS:
        return name[:MAX_NAME_CHARS].rstrip(". ")
    return stem[: MAX_NAME_CHARS - len(ext) - 1].rstrip(". ") + "." + ext


# --- streaming copy ---------------------------------------------------------------------------


def copy_limited(
    source: BinaryIO, destination: BinaryIO, *, max_bytes: int, chunk_size: int = 64 * 1024
) -> CopiedFile:
    """Copy source to destination, hashing; raise PayloadTooLarge past max_bytes."""
    digest = hashlib.sha256()
    size = 0
    while True:
        # Never ask for more than one byte past the limit, so an oversized upload is not read.
        chunk = source.read(min(chunk_size, max_bytes - size + 1))
        if not chunk:
            return CopiedFile(size=size, sha256=digest.hexdigest())
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes=max_bytes)
        digest.update(chunk)
        destination.write(chunk)


def too_large(*, max_bytes: int) -> PayloadTooLarge:
    """The error for a file over the limit, naming the limit in MB."""
    mb_en, mb_id = format_mb(max_bytes), format_mb(max_bytes).replace(".", ",")
    return PayloadTooLarge(
        detail=Msg(
            f"Berkas lebih besar dari batas {mb_id} MB; perkecil atau pisahkan berkasnya.",
            f"The file is larger than the {mb_en} MB limit; reduce or split it.",
        )
    )


# --- type detection ---------------------------------------------------------------------------


def sniff_type(head: bytes) -> str | None:
    """Content type from the first bytes (PDF, JPEG or PNG), or None; no other evidence used."""
    # Stricter than the PDF spec (which lets readers skip up to 1 KiB of junk before %PDF-):
    # junk in front is how polyglot files pass as two types at once.
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(_PNG_SIGNATURE):
        return PNG
    return None


def _describe_other(head: bytes) -> str | None:
    for offset, signature, label in _OTHER_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return label
    return None


def _labels(types: Iterable[str]) -> str:
    wanted = set(types)
    return ", ".join(label for mime, label in _LABELS.items() if mime in wanted)


def _refuse(id_text: str, en_text: str) -> UnsupportedMedia:
    return UnsupportedMedia(detail=Msg(id_text, en_text))


def _check_type(head: bytes, accepted: frozenset[str]) -> str:
    accepted_text = _labels(accepted)
    if not head:
        raise _refuse(
            f"Berkas kosong (0 byte). Jenis yang diterima: {accepted_text}.",
            f"The file is empty (0 bytes). Accepted types: {accepted_text}.",
        )
    detected = sniff_type(head)
    if detected is None:
        other = _describe_other(head)
        found_id = f"berkas {other}" if other else "jenis berkas yang tidak dikenali"
        found_en = f"a {other} file" if other else "an unrecognised file type"
        raise _refuse(
            f"Isi berkas adalah {found_id}. Jenis yang diterima: {accepted_text}.",
            f"The file content is {found_en}. Accepted types: {accepted_text}.",
        )
    if detected not in accepted:
        label = _LABELS[detected]
        raise _refuse(
            f"Isi berkas adalah {label}, tetapi layanan ini hanya menerima {accepted_text}.",
            f"The file content is {label}, but this service accepts only {accepted_text}.",
        )
    return detected


# --- full inspection --------------------------------------------------------------------------


def inspect_file(path: Path, *, accepted_types: Iterable[str], max_pixels: int) -> str:
    """Check an uploaded file by its content and parse it fully; return its content type."""
    accepted = frozenset(accepted_types)
    if not accepted or not accepted <= ACCEPTED_TYPES:
        raise ValueError(f"accepted_types must be a non-empty subset of {sorted(ACCEPTED_TYPES)}")
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    content_type = _check_type(head, accepted)
    if content_type == PDF:
        _check_pdf(path)
    else:
        _check_image(path, content_type=content_type, max_pixels=max_pixels)
    return content_type


# PDF features that run code, open other files or carry hidden files. Keys anywhere in any
# dictionary; action types as /S values; object types as /Type or /Subtype values.
_FORBIDDEN_PDF_KEYS = frozenset(
    {"/JS", "/JavaScript", "/AA", "/XFA", "/EmbeddedFiles", "/EF", "/RichMediaContent"}
)
_FORBIDDEN_PDF_ACTIONS = frozenset(
    {
        "/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/GoToR",
        "/RichMediaExecute", "/Rendition", "/Movie", "/Sound",
    }
)  # fmt: skip
_FORBIDDEN_PDF_TYPES = frozenset({"/EmbeddedFile", "/RichMedia", "/FileAttachment"})
_EOF_TAIL_BYTES = 1024


def _check_pdf(path: Path) -> None:
    _check_pdf_complete(path)
    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                raise _encrypted_pdf()
            found = _find_active_content(pdf)
            pages = len(pdf.pages)
    except pikepdf.PasswordError:
        raise _encrypted_pdf() from None
    except pikepdf.PdfError:
        raise _damaged_pdf() from None
    if found:
        raise _refuse(
            f"PDF berisi konten aktif ({found}); hapus skrip, lampiran dan aksi otomatis, "
            "atau cetak ulang sebagai PDF.",
            f"The PDF contains active content ({found}); remove scripts, attachments and "
            "automatic actions, or print it to a new PDF.",
        )
    if pages == 0:
        raise _refuse("PDF tidak memiliki halaman.", "The PDF has no pages.")


def _check_pdf_complete(path: Path) -> None:
    # qpdf silently rebuilds a cut-off file from what is left, so a half-uploaded PDF would
    # open "fine"; a missing %%EOF at the end is the reliable sign of truncation.
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - _EOF_TAIL_BYTES))
        tail = handle.read()
    if b"%%EOF" not in tail:
        raise _refuse(
            "PDF tidak lengkap (bagian akhirnya hilang); unggah ulang berkas aslinya.",
            "The PDF is incomplete (its end is missing); upload the original file again.",
        )


def _encrypted_pdf() -> UnsupportedMedia:
    return _refuse(
        "PDF terenkripsi atau dilindungi kata sandi; unggah versi tanpa perlindungan.",
        "The PDF is encrypted or password-protected; upload an unprotected version.",
    )


def _damaged_pdf() -> UnsupportedMedia:
    return _refuse(
        "PDF rusak dan tidak dapat dibaca; unggah ulang atau simpan ulang sebagai PDF.",
        "The PDF is damaged and cannot be read; upload it again or re-save it as PDF.",
    )


def _find_active_content(pdf: pikepdf.Pdf) -> str:
    """Comma-separated names of the forbidden features in any object of the file, or ""."""
    # Every indirect object plus the trailer; nested direct objects are walked below, while
    # references need not be followed because their targets are in pdf.objects too. Stream
    # data is deliberately never decoded: a small FlateDecode stream can inflate to gigabytes.
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
    found = keys & _FORBIDDEN_PDF_KEYS
    # An OpenAction that is a destination array only jumps to a page (LibreOffice writes one);
    # as a dictionary it is an action run on opening (URI, JavaScript, ...).
    if "/OpenAction" in keys and isinstance(obj.get("/OpenAction"), pikepdf.Dictionary):
        found.add("/OpenAction")
    values = {str(obj.get("/S", "")), str(obj.get("/Type", "")), str(obj.get("/Subtype", ""))}
    found |= values & _FORBIDDEN_PDF_ACTIONS
    found |= values & _FORBIDDEN_PDF_TYPES
    return found


# How a complete file ends. Checked by hand because WeasyPrint (imported for certificates) sets
# Pillow's process-wide LOAD_TRUNCATED_IMAGES, after which Pillow accepts truncated images.
_IMAGE_TRAILERS = {"image/jpeg": b"\xff\xd9", "image/png": b"IEND\xaeB`\x82"}


def _has_complete_trailer(path: Path, content_type: str) -> bool:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 1024))
        tail = handle.read().rstrip(b"\x00\r\n ")
    return tail.endswith(_IMAGE_TRAILERS[content_type])


def _check_image(path: Path, *, content_type: str, max_pixels: int) -> None:
    label = _LABELS[content_type]
    formats = _PIL_FORMATS[content_type]
    if not _has_complete_trailer(path, content_type):
        raise _damaged_image(label)
    try:
        # formats= keeps Pillow to the one parser the magic bytes promised.
        with Image.open(path, formats=[formats[0]]) as image:
            _check_pixels(image.size, max_pixels=max_pixels)
            if image.format not in formats:
                raise _damaged_image(label)
            image.verify()
        with Image.open(path, formats=[formats[0]]) as image:
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own global cap tripped while reading the header (a warning only becomes an
        # exception under -W error); either way the image is far too large.
        raise _too_many_pixels(max_pixels=max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # Pillow reports broken files as any of these (verify() raises SyntaxError for PNG CRCs).
        raise _damaged_image(label) from None


def _check_pixels(size: tuple[int, int], *, max_pixels: int) -> None:
    # Checked on the header's dimensions, before any pixel is decoded.
    width, height = size
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels=max_pixels, size=size)


def _too_many_pixels(*, max_pixels: int, size: tuple[int, int] | None = None) -> UnsupportedMedia:
    megapixels = f"{max_pixels / 1_000_000:g}"
    dims = f" ({size[0]} x {size[1]})" if size else ""
    return _refuse(
        f"Gambar terlalu besar{dims}; batasnya {megapixels.replace('.', ',')} megapiksel. "
        "Perkecil resolusinya.",
        f"The image is too large{dims}; the limit is {megapixels} megapixels. "
        "Reduce its resolution.",
    )


def _damaged_image(label: str) -> UnsupportedMedia:
    return _refuse(
        f"Gambar {label} rusak atau tidak lengkap; unggah ulang berkas aslinya.",
        f"The {label} image is damaged or incomplete; upload the original file again.",
    )
