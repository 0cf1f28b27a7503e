"""Checking uploaded documents: size limit, file-name hygiene, type by content, full parse.

The service streams an upload into a temporary file with ``copy_limited``, then calls
``inspect_file``; only a file that passes both is committed to the file store. Nothing here trusts
the client's file name or Content-Type header. What a PDF and an image must pass is in
``pdfs.py`` and ``images.py``: the cheap checks first, then the expensive ones (decoding) inside
one of the process's check slots (``slots.py``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from app.config import Settings
from app.errors import Msg, PayloadTooLarge
from app.files.images import check_image
from app.files.mediatypes import ACCEPTED_TYPES, JPEG, LABELS, PDF, PNG, labels, refuse
from app.files.pdfs import check_pdf
from app.files.slots import CheckSlots, process_slots

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


def _check_type(head: bytes, accepted: frozenset[str]) -> str:
    accepted_text = labels(accepted)
    if not head:
        raise refuse(
            f"Berkas kosong (0 byte). Jenis yang diterima: {accepted_text}.",
            f"The file is empty (0 bytes). Accepted types: {accepted_text}.",
        )
    detected = sniff_type(head)
    if detected is None:
        other = _describe_other(head)
        found_id = f"berkas {other}" if other else "jenis berkas yang tidak dikenali"
        found_en = f"a {other} file" if other else "an unrecognised file type"
        raise refuse(
            f"Isi berkas adalah {found_id}. Jenis yang diterima: {accepted_text}.",
            f"The file content is {found_en}. Accepted types: {accepted_text}.",
        )
    if detected not in accepted:
        label = LABELS[detected]
        raise refuse(
            f"Isi berkas adalah {label}, tetapi layanan ini hanya menerima {accepted_text}.",
            f"The file content is {label}, but this service accepts only {accepted_text}.",
        )
    return detected


# --- full inspection --------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckLimits:
    """How much checking one upload may cost; ``from_settings`` gives the configured values."""

    max_pixels: int = 25_000_000
    max_pdf_inflated_bytes: int = 256 * 1024 * 1024
    slots: CheckSlots = field(default_factory=lambda: process_slots(2))
    wait_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> CheckLimits:
        return cls(
            max_pixels=settings.max_image_pixels,
            max_pdf_inflated_bytes=settings.max_pdf_inflated_bytes,
            slots=process_slots(settings.upload_decode_slots),
            wait_seconds=settings.upload_decode_wait_seconds,
        )


def inspect_file(path: Path, *, accepted_types: Iterable[str], limits: CheckLimits) -> str:
    """Check an uploaded file by its content and parse it fully; return its content type."""
    accepted = frozenset(accepted_types)
    if not accepted or not accepted <= ACCEPTED_TYPES:
        raise ValueError(f"accepted_types must be a non-empty subset of {sorted(ACCEPTED_TYPES)}")
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    content_type = _check_type(head, accepted)
    if content_type == PDF:
        check_pdf(
            path,
            max_inflated_bytes=limits.max_pdf_inflated_bytes,
            slots=limits.slots,
            wait_seconds=limits.wait_seconds,
        )
    else:
        check_image(
            path,
            content_type=content_type,
            max_pixels=limits.max_pixels,
            slots=limits.slots,
            wait_seconds=limits.wait_seconds,
        )
    return content_type
