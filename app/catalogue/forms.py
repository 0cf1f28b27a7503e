"""A service's form, the one way: rendered as fields, parsed from a posted form, displayed.

Every portal uses this module: the resident's form, the counter's form for a walk-in resident,
the public service page's list of questions and the officer's read-only view. So a form posted
in either portal is stored the same (an unticked box is not stored at all), and a change to how
a field looks or reads back is made once.

Inputs are named ``data.<key>``: the service layer reports problems as ``data.<key>``, so its
messages land next to the right input without any renaming.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.catalogue.formschema import number_en, number_id
from app.errors import Msg
from app.i18n import long_date

PREFIX = "data."
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
# Lenient reading where the meaning is clear (the same for the online form and the counter):
# thousands grouped with dots, commas or spaces ("15.000.000", "Rp 15.000.000,-"), and the dots,
# dashes, spaces and brackets people write in numbers such as NPWP and phone numbers.
_GROUPED_RE = re.compile(r"[+-]?[0-9]{1,3}(?:(?P<sep>[., ])[0-9]{3})(?:(?P=sep)[0-9]{3})*")
_ID_DECIMAL_RE = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+")
_CURRENCY_RE = re.compile(r"^(?:rp\.?)\s*|(?:,-|,00?)$", re.IGNORECASE)
_WRITTEN_SEPARATORS_RE = re.compile(r"[\s.\-()]")
# Longer texts get a multi-line box.
TEXTAREA_FROM = 200


@dataclass(frozen=True)
class FormField:
    key: str
    name: str  # the input's name: data.<key>
    kind: str  # text | textarea | number | date | email | select | checkbox
    label: str
    required: bool
    hint: str | None
    options: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def form_fields(schema: dict, lang: str) -> list[FormField]:
    """One field per schema property, in the schema's order, labelled in ``lang``."""
    required = set(schema.get("required", ()))
    return [_field(key, prop, key in required, lang) for key, prop in schema["properties"].items()]


def _label(prop: dict, key: str, lang: str) -> str:
    return (
        prop.get("x-title-en", prop.get("title", key)) if lang == "en" else prop.get("title", key)
    )


def _field(key: str, prop: dict, required: bool, lang: str) -> FormField:
    description = prop.get("x-description-en") if lang == "en" else prop.get("description")
    example = prop.get("x-example")
    shown_example = ""
    if example:
        shown_example = f"Example: {example}." if lang == "en" else f"Contoh: {example}."
    hints = [text for text in (description, _bounds(prop).in_lang(lang), shown_example) if text]
    kind, extra, options = _input_kind(prop)
    return FormField(
        key=key,
        name=PREFIX + key,
        kind=kind,
        label=_label(prop, key, lang),
        required=required,
        hint=" ".join(hints) or None,
        options=options,
        extra=extra,
    )


def _input_kind(prop: dict) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    kind = prop["type"]
    if kind == "boolean":
        return "checkbox", {}, []
    if kind in ("integer", "number"):
        # A text input, not type=number: the browser would drop "15.000.000" (read leniently
        # here) and block the post with its own message; no min/max attributes for the same
        # reason: the server's message, in the page's language, is the one shown.
        return "text", {"inputmode": "numeric" if kind == "integer" else "decimal"}, []
    if "enum" in prop:
        return "select", {}, [(value, value) for value in prop["enum"]]
    if prop.get("format") in ("date", "email"):
        return prop["format"], {}, []
    max_length = prop.get("maxLength", 1000)
    return (
        ("textarea" if max_length > TEXTAREA_FROM else "text"),
        {"maxlength": str(max_length)},
        [],
    )


def _bounds(prop: dict) -> Msg:
    """What the schema allows, said before the applicant types (not only after a refusal)."""
    if prop["type"] == "string" and not {"enum", "format", "pattern"} & set(prop):
        low, high = prop.get("minLength", 0), prop.get("maxLength")
        if low and high:
            return Msg(f"{low}–{high} karakter.", f"{low}–{high} characters.")
        if high:
            return Msg(f"Maksimal {high} karakter.", f"At most {high} characters.")
    if prop["type"] in ("integer", "number") and ("minimum" in prop or "maximum" in prop):
        # Written as each language groups thousands: 5.000.000.000 and 5,000,000,000.
        low, high = prop.get("minimum"), prop.get("maximum")
        low_id, low_en = (number_id(low), number_en(low)) if low is not None else ("", "")
        high_id, high_en = (number_id(high), number_en(high)) if high is not None else ("", "")
        if low is not None and high is not None:
            return Msg(f"Dari {low_id} sampai {high_id}.", f"From {low_en} to {high_en}.")
        if low is not None:
            return Msg(f"Minimal {low_id}.", f"At least {low_en}.")
        return Msg(f"Maksimal {high_id}.", f"At most {high_en}.")
    if prop.get("format") == "date":
        return Msg("Format TTTT-BB-HH.", "Format YYYY-MM-DD.")
    return Msg("", "")


def parse_form(schema: dict, form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(form data for the service, the raw inputs to show again if the service refuses them).

    Every schema field is sent: an emptied input or an unticked box becomes ``None``, which
    removes the value (and is not stored on a new application). Numbers that do not parse are
    passed on as text so that the service says what is wrong.
    """
    data: dict[str, Any] = {}
    raw: dict[str, str] = {}
    for key, prop in schema["properties"].items():
        sent = form.get(PREFIX + key)
        text = sent.strip() if isinstance(sent, str) else ""
        raw[key] = text
        data[key] = _value(prop, text)
    return data, raw


def _value(prop: dict, text: str) -> Any:
    kind = prop["type"]
    if kind == "boolean":
        return True if text else None
    if not text:
        return None
    if kind == "string":
        return _lenient_text(prop, text)
    if kind in ("integer", "number"):
        text = _lenient_number(text, integer=kind == "integer")
    if kind == "integer" and _INTEGER_RE.fullmatch(text):
        return int(text)
    if kind == "number":
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return text
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return text


def _lenient_text(prop: dict, text: str) -> str:
    """A patterned answer written with dots, dashes, spaces or brackets ("01.234.567.8-901.000",
    "0812-3456-7890") as the digits the pattern asks for, when that is what they make."""
    pattern = prop.get("pattern")
    if pattern is None or re.fullmatch(pattern, text):
        return text
    bare = _WRITTEN_SEPARATORS_RE.sub("", text)
    return bare if bare and re.fullmatch(pattern, bare) else text


def _lenient_number(text: str, *, integer: bool) -> str:
    """ "Rp 15.000.000,-" and "15 000 000" as 15000000; "1.500,5" as 1500.5. Anything else is
    passed on unchanged, for the service to say what is wrong with it."""
    text = _CURRENCY_RE.sub("", text).strip()
    grouped = _GROUPED_RE.fullmatch(text)
    if grouped and (integer or grouped.group("sep") != ","):
        # In a decimal number a comma is the decimal mark: "1,500" stays one and a half.
        return text.replace(grouped.group("sep"), "")
    if not integer and _ID_DECIMAL_RE.fullmatch(text):
        return text.replace(".", "").replace(",", ".")
    return text


def shown_values(data: Mapping[str, Any]) -> dict[str, str]:
    """Stored form data as the inputs show it."""
    return {key: _shown(value) for key, value in data.items()}


def _shown(value: Any) -> str:
    if value is True:
        return "true"
    if value is None or value is False:
        return ""
    return str(value)


def raw_inputs(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's own inputs as typed, to show again when the service refuses them."""
    return {
        name.removeprefix(PREFIX): value.strip()
        for name, value in form.items()
        if name.startswith(PREFIX) and isinstance(value, str)
    }


@dataclass(frozen=True)
class ShownAnswer:
    key: str
    label: str
    value: str  # in words: "Ya"/"Yes", a long date, "–" when not filled in


def display_fields(schema: dict, data: Mapping[str, Any], lang: str) -> list[ShownAnswer]:
    """The answers in schema order, labelled in ``lang``, as a person reads them."""
    return [
        ShownAnswer(
            key=key, label=_label(prop, key, lang), value=_in_words(data.get(key), prop, lang)
        )
        for key, prop in schema.get("properties", {}).items()
    ]


def _in_words(value: Any, prop: dict, lang: str) -> str:
    if prop.get("type") == "boolean":
        # A box left unticked is not stored (see parse_form): not stored means "no".
        ticked = value is True
        return ("Yes" if ticked else "No") if lang == "en" else ("Ya" if ticked else "Tidak")
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return str(value) if lang == "en" else str(value).replace(".", ",")
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
        try:
            return long_date(date.fromisoformat(value), lang)
        except ValueError:
            return value
    return str(value)
