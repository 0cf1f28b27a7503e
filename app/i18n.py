"""Language choice: Indonesian by default, English when the client prefers it."""

from __future__ import annotations

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
