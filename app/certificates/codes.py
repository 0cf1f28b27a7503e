"""Verification codes: Crockford base32, made here and read here, everywhere.

A person types the code printed under the QR code, often from a phone, sometimes read aloud at a
counter. Crockford's alphabet (https://www.crockford.com/base32.html) has no I, L, O or U, so
nothing looks like anything else; reading is case-insensitive, ignores dashes and spaces, and
takes I and L as 1 and O as 0. A code is stored and put in URLs in its canonical form (upper
case, no dashes) and printed in groups of four.

Certificates issued before these codes carry a 27-character URL-safe base64 code, which is
case-sensitive: ``lookup_forms`` keeps it as typed beside the Crockford reading, so old
certificates still verify (the two forms can never collide: they differ in length).
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# 20 symbols x 5 bits = 100 bits: beyond guessing through a rate-limited public lookup, and
# short enough that the URL in the QR code stays small (version 4 at level M).
LENGTH = 20
GROUP = 4
# What a reader may have meant: Crockford's own decoding rules.
_READ = {symbol: symbol for symbol in ALPHABET} | {"I": "1", "L": "1", "O": "0"}
_SEPARATORS = str.maketrans("", "", "- \t")
# Longer than any code, old or new, plus room for dashes and spaces; the rest is ignored.
MAX_TYPED = 64


def new_code() -> str:
    """A fresh random code in canonical form."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str | None:
    """The canonical form of a typed Crockford code, or None if it is not one."""
    compact = typed.strip().translate(_SEPARATORS).upper()
    if len(compact) != LENGTH:
        return None
    try:
        return "".join(_READ[symbol] for symbol in compact)
    except KeyError:  # U, punctuation, letters from other scripts
        return None


def display(code: str) -> str:
    """A code as printed for people: ``7K3M-Q9XA-...``; an old code as it always was."""
    if normalise(code) != code:
        return code
    return "-".join(code[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def lookup_forms(typed: str) -> list[str]:
    """The stored codes ``typed`` may stand for: its Crockford reading and, for certificates
    from before these codes, the text exactly as typed."""
    raw = typed.strip()[:MAX_TYPED]
    canonical = normalise(raw)
    return list(dict.fromkeys(form for form in (canonical, raw) if form))


def from_typed(typed: str) -> str:
    """What someone typed or pasted (a code, or the whole address printed under the QR) as the
    code to look up: canonical when it reads as a Crockford code."""
    cleaned = typed.strip().rstrip("/")
    last = cleaned.rsplit("/", 1)[-1].split("?", 1)[0][:MAX_TYPED]
    return normalise(last) or last
