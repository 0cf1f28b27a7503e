"""Which template messages lack an Indonesian translation.

``python -m tests.web.messages`` prints the missing ones as .po entries, ready to translate and
paste into a file under ``app/web/locale/id/``; the test suite fails while any is missing.
"""

from __future__ import annotations

from babel.messages.extract import extract_from_dir

from app.resources import templates_dir
from app.web.i18n import catalogue_messages

METHOD_MAP = [("**.html", "jinja2")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n"}}


def template_messages() -> dict[str, str]:
    """Every message id used in a template, with the first file that uses it."""
    found: dict[str, str] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(templates_dir()),
        METHOD_MAP,
        options_map=OPTIONS,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
    ):
        key = message[0] if isinstance(message, tuple) else message
        found.setdefault(key, filename)
    return found


def translated_ids(lang: str = "id") -> set[str]:
    ids = set()
    for message in catalogue_messages(lang):
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            ids.add(key)
    return ids


def missing(lang: str = "id") -> dict[str, str]:
    have = translated_ids(lang)
    return {key: where for key, where in template_messages().items() if key not in have}


if __name__ == "__main__":
    for key, where in sorted(missing().items(), key=lambda item: item[1]):
        escaped = key.replace("\\", "\\\\").replace('"', '\\"')
        print(f'#: {where}\nmsgid "{escaped}"\nmsgstr ""\n')
