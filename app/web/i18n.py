"""The language of a web page and its message catalogue.

Templates are written with English message ids (``{{ _("Submit") }}``, ``{% trans %}``); the
Indonesian wording lives in Babel ``.po`` files under ``app/web/locale/id/``, one file per area
(common, citizen, officer, admin, ...) so that areas can be edited apart. They are read with
Babel when the process starts; no compiled ``.mo`` files, so no build step. Messages raised by
the service layer are bilingual ``Msg`` values and need no catalogue.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import read_po
from fastapi import Request

from app.i18n import SUPPORTED, pick_language

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_COOKIE = "loket_lang"
SOURCE_LANGUAGE = "en"  # the language of the message ids


def page_language(request: Request) -> str:
    """The switch's choice (a cookie) first, then the browser's preference, then Indonesian."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in SUPPORTED:
        return chosen
    return pick_language(request.headers.get("accept-language"))


class Translations:
    """gettext/ngettext over one language's messages; unknown ids fall back to English."""

    def __init__(self, messages: dict[str, str], plurals: dict[str, tuple[str, ...]]) -> None:
        self._messages = messages
        self._plurals = plurals

    def gettext(self, message: str) -> str:
        return self._messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._plurals.get(singular)
        if forms:  # Indonesian has a single plural form
            return forms[0]
        return singular if n == 1 else plural


@lru_cache(maxsize=len(SUPPORTED))
def translations(lang: str) -> Translations:
    if lang == SOURCE_LANGUAGE:
        return Translations({}, {})
    messages, plurals = {}, {}
    for message in catalogue_messages(lang):
        if isinstance(message.id, tuple):
            if any(message.string):
                plurals[message.id[0]] = tuple(message.string)
        elif message.id and message.string:
            messages[message.id] = message.string
    return Translations(messages, plurals)


def catalogue_messages(lang: str) -> list:
    """Every message of every ``.po`` file of ``lang``, in file order."""
    found: list[Message] = []
    for path in sorted((LOCALE_DIR / lang).glob("*.po")):
        with path.open("rb") as handle:
            found.extend(message for message in read_po(handle, locale=lang) if message.id)
    return found
