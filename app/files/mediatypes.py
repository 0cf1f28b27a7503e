"""The file types uploads may be, how messages name them, and the refusal every check raises."""

from __future__ import annotations

from collections.abc import Iterable

from app.errors import Msg, UnsupportedMedia

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

ACCEPTED_TYPES = frozenset({PDF, JPEG, PNG})  # the allow-list a service may pick from

# Display order and human names for messages.
LABELS = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}

# Bytes a complete file may carry after its end marker: some scanners and phones pad with
# NULs or line ends. Anything else there is a second file riding along (a ZIP after a PNG).
PADDING = b"\x00\r\n\t\x0c "


def labels(types: Iterable[str]) -> str:
    """The types' names in display order, comma-separated: "PDF, JPEG"."""
    wanted = set(types)
    return ", ".join(label for mime, label in LABELS.items() if mime in wanted)


def refuse(id_text: str, en_text: str) -> UnsupportedMedia:
    """A 415 with one bilingual message: every content check refuses this way."""
    return UnsupportedMedia(detail=Msg(id_text, en_text))
