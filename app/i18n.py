"""Language choice (Indonesian by default, English when the client prefers it) and dates in
words, the same on pages, forms, e-mails and certificates."""

from __future__ import annotations

from datetime import date

SUPPORTED = ("id", "en")
DEFAULT = "id"


def pick_language(accept_language: str | None) -> str:
    """The supported language with the highest q-value in an Accept-Language header."""
    best, best_q = DEFAULT, -1.0
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in SUPPORTED:
            continue
        q = _quality(params)
        if q > best_q:
            best, best_q = primary, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def long_date(value: date, lang: str) -> str:
    """ "28 November 2026" with the month in ``lang`` (Indonesian unless "en")."""
    months = MONTHS_EN if lang == "en" else MONTHS_ID
    return f"{value.day} {months[value.month - 1]} {value.year}"
